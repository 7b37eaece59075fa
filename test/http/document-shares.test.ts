import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import { closeTestPools, ownerDb } from '../support/db';
import { startTestApp, type TestApp } from '../support/app';
import { mutateData, uploadFile } from '../support/documents';
import { createTenant, TEST_PASSWORD } from '../support/factories';
import type { Database } from '../../src/db/schema';
import { hashSecretToken } from '../../src/auth/secret-tokens';
import { withTenant } from '../../src/db/database';

const pdf = (size: number) => Buffer.concat([Buffer.from('%PDF-1.7\n'), crypto.randomBytes(size)]);

let db: Kysely<Database>;
let app: TestApp;

beforeAll(async () => {
  db = ownerDb();
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
  await closeTestPools();
});

const url = (path: string) => new URL(path, app.url).toString();

const upload = (token: string, bytes: Buffer, name: string) => uploadFile(app, token, bytes, name);
const mutate = <T>(token: string, query: string, input: Record<string, unknown>) =>
  mutateData<T>(app, token, query, input);

const CREATE_SHARE = `mutation ($input: CreateDocumentShareInput!) {
  createDocumentShare(input: $input) { share { id access expiresAt maxDownloads downloadCount revokedAt } token }
}`;

/** A tenant whose owner has one document, and a share of it made with `input`. */
async function sharedDocument(input: Record<string, unknown> = {}) {
  const { organization, owner, members } = await createTenant(db, { members: 1 });
  const token = await app.login(owner.email, TEST_PASSWORD);
  const bytes = pdf(20_000);
  const { createDocument } = await mutate<{ createDocument: { document: { id: string } } }>(
    token,
    'mutation ($input: CreateDocumentInput!) { createDocument(input: $input) { document { id } } }',
    { title: 'Report', uploadId: await upload(token, bytes, 'Report.pdf') },
  );
  const documentId = createDocument.document.id;
  const { createDocumentShare } = await mutate<{
    createDocumentShare: { share: { id: string; downloadCount: number }; token: string };
  }>(token, CREATE_SHARE, { documentId, ...input });
  return {
    organization,
    owner,
    members,
    token,
    documentId,
    bytes,
    share: createDocumentShare.share,
    link: createDocumentShare.token,
  };
}

const get = (link: string) => fetch(url(`/shares/${link}`));

/** Reads and writes as the owner role in one tenant (RLS is forced on the owner too). */
const inTenant = <T>(organizationId: string, work: (trx: Kysely<Database>) => Promise<T>) =>
  withTenant(db, { organizationId, userId: null }, work);

async function downloadCount(organizationId: string, id: string): Promise<number> {
  const row = await inTenant(organizationId, (trx) =>
    trx.selectFrom('document_shares').select('download_count').where('id', '=', id).executeTakeFirstOrThrow(),
  );
  return row.download_count;
}

describe('GET /shares/:token', () => {
  it('serves the document without signing in, as an attachment, and counts the download', async () => {
    const { bytes, link, share, organization } = await sharedDocument();
    expect(link).toMatch(new RegExp(`^ds_${organization.id.replaceAll('-', '')}_[A-Za-z0-9_-]{43}$`));
    const res = await get(link);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="Report.pdf"/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await downloadCount(organization.id, share.id)).toBe(1);
  });

  it('answers a VIEW link inline, still nosniff and sandboxed', async () => {
    const { link } = await sharedDocument({ access: 'VIEW' });
    const res = await get(link);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toMatch(/^inline; /);
    expect(res.headers.get('content-security-policy')).toContain('sandbox');
    await res.arrayBuffer();
  });

  it('stores only the hash of the token, never the token', async () => {
    const { link, share, organization } = await sharedDocument();
    const row = await inTenant(organization.id, (trx) =>
      trx.selectFrom('document_shares').selectAll().where('id', '=', share.id).executeTakeFirstOrThrow(),
    );
    expect(row.token_hash).toBe(hashSecretToken(link));
    // The secret part (it may hold '_' itself): after `ds_` and the 32 hex of the organization.
    expect(JSON.stringify(row)).not.toContain(link.slice(36));
  });

  it('serves exactly maxDownloads under 10 concurrent downloads, then 404 without counting', async () => {
    const { link, share, organization } = await sharedDocument({ maxDownloads: 3 });
    const statuses = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const res = await get(link);
        await res.arrayBuffer();
        return res.status;
      }),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(3);
    expect(statuses.filter((s) => s === 404)).toHaveLength(7);
    expect(await downloadCount(organization.id, share.id)).toBe(3);
  });

  it('is 404 once expired, and the attempt does not count', async () => {
    const { link, share, organization } = await sharedDocument();
    await inTenant(organization.id, (trx) =>
      trx
        .updateTable('document_shares')
        .set({ expires_at: new Date(Date.now() - 1000) })
        .where('id', '=', share.id)
        .execute(),
    );
    const res = await get(link);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      errors: [{ message: 'This share link was not found', extensions: { code: 'NOT_FOUND' } }],
    });
    expect(await downloadCount(organization.id, share.id)).toBe(0);
  });

  it('is 404 while its organization is suspended, and serves again once reactivated', async () => {
    const { link, share, organization } = await sharedDocument();
    const setActive = (active: boolean) =>
      inTenant(organization.id, (trx) =>
        trx.updateTable('organizations').set({ is_active: active }).where('id', '=', organization.id).execute(),
      );
    await setActive(false);
    try {
      expect((await get(link)).status).toBe(404);
      expect(await downloadCount(organization.id, share.id)).toBe(0);
    } finally {
      await setActive(true);
    }
    expect((await get(link)).status).toBe(200);
  });

  it('dies on revoke', async () => {
    const { link, share, token, organization } = await sharedDocument();
    expect((await get(link)).status).toBe(200);
    const { revokeDocumentShare } = await mutate<{ revokeDocumentShare: { share: { revokedAt: string | null } } }>(
      token,
      'mutation ($input: RevokeDocumentShareInput!) { revokeDocumentShare(input: $input) { share { revokedAt } } }',
      { id: share.id },
    );
    expect(revokeDocumentShare.share.revokedAt).not.toBeNull();
    const res = await get(link);
    expect(res.status).toBe(404);
    expect(await downloadCount(organization.id, share.id)).toBe(1);
  });

  it('is 404 for a token whose organization part names another tenant, or is malformed', async () => {
    const { link } = await sharedDocument();
    const other = await createTenant(db);
    const tampered = `ds_${other.organization.id.replaceAll('-', '')}_${link.slice(36)}`;
    expect((await get(tampered)).status).toBe(404);
    expect((await get('ds_nothing')).status).toBe(404);
    expect((await get(`${link}x`)).status).toBe(404);
  });

  it('refuses a share from a member without MANAGE, and a past expiresAt naming the field', async () => {
    const { organization, documentId, token, members } = await sharedDocument();
    const memberToken = await app.login(members[0]!.email, TEST_PASSWORD);
    const refused = await app.gql(CREATE_SHARE, { token: memberToken, variables: { input: { documentId } } });
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const past = await app.gql(CREATE_SHARE, {
      token,
      variables: { input: { documentId, expiresAt: new Date(Date.now() - 1000).toISOString() } },
    });
    expect(past.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'expiresAt' });
    const count = await inTenant(organization.id, (trx) =>
      trx
        .selectFrom('document_shares')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('document_id', '=', documentId)
        .executeTakeFirstOrThrow(),
    );
    expect(Number(count.n)).toBe(1);
  });

  it('lets a member with a MANAGE grant on the document share it', async () => {
    const { documentId, token, members } = await sharedDocument();
    await mutate(
      token,
      'mutation ($input: CreateDocumentPermissionInput!) { createDocumentPermission(input: $input) { documentPermission { id } } }',
      { documentId, userId: members[0]!.id, level: 'MANAGE' },
    );
    const memberToken = await app.login(members[0]!.email, TEST_PASSWORD);
    const { createDocumentShare } = await mutate<{ createDocumentShare: { token: string } }>(
      memberToken,
      CREATE_SHARE,
      {
        documentId,
      },
    );
    const res = await get(createDocumentShare.token);
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  });

  it('lists shares on Document.shares without the hash', async () => {
    const { documentId, token, share } = await sharedDocument();
    const res = await app.gql<{ document: { shares: { edges: { node: { id: string } }[] } } }>(
      'query ($id: UUID!) { document(id: $id) { shares { edges { node { id downloadCount } } } } }',
      { token, variables: { id: documentId } },
    );
    expect(res.body.data?.document.shares.edges.map((e) => e.node.id)).toEqual([share.id]);
  });
});
