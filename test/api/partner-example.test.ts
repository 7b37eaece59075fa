import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PartnerConnectionError, runPartnerExample } from '../../examples/partner';

/** `npm run example:partner` against a wrong TENANTQL_URL says which URL it tried. */
describe('the partner example without a server', () => {
  const KEY = 'tq_00000000_' + 'x'.repeat(43);

  it('names the URL it tried when nothing listens there', async () => {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
    await new Promise((resolve) => server.close(resolve));
    const error = await runPartnerExample(url, KEY).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PartnerConnectionError);
    expect((error as Error).message).toContain(url);
    expect((error as Error).message).toContain('ECONNREFUSED');
    expect((error as Error).message).toContain('TENANTQL_URL');
  });

  it('names the URL when what answers is not a GraphQL endpoint', async () => {
    const server = http.createServer((_req, res) =>
      res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not here</h1>'),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/wrong`;
    try {
      const error = await runPartnerExample(url, KEY).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PartnerConnectionError);
      expect((error as Error).message).toMatch(
        new RegExp(`^cannot use ${url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: it answered HTTP 404`),
      );
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
