import fs from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  const pg = globalThis.__TENANTQL_PG__;
  if (!pg) return;
  await pg.server.stop();
  fs.rmSync(pg.dir, { recursive: true, force: true });
  // As root in a closed folder, the cluster was placed elsewhere (src/db/embedded.ts).
  fs.rmSync(pg.server.dir, { recursive: true, force: true });
}
