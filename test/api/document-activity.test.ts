import { withTenant } from '../../src/db/database';
import { describeResource, type Suite, type Tenant } from '../support/describe-resource';
import { resourceRules } from '../support/resource-rules';
import { insertUpload } from '../support/factories';
import { documentPerTenant, mutateData, uploadFile } from '../support/documents';
import { testPool } from '../support/db';
import { documentActivity } from '../../src/modules/documents/document-activity';
import { documents } from '../../src/modules/documents/documents';

const UPDATE = 'mutation ($i: UpdateDocumentInput!) { updateDocument(input: $i) { document { id } } }';

/** Activity comes from changes: one document per tenant, renamed once per new entry. */
const documentOf = documentPerTenant();
async function entryOf(tenant: Tenant, n: number, suite: Suite): Promise<string> {
  const id = await documentOf(suite.db, tenant, n);
  const res = await suite.app.gql(UPDATE, { token: tenant.admin.token, variables: { i: { id, title: `Title ${n}` } } });
  expect(res.body.errors).toBeUndefined();
  const { rows } = await suite.superuser.query<{ id: string }>(
    'select id from document_activity where document_id = $1 order by created_at desc, id desc limit 1',
    [id],
  );
  return rows[0]!.id;
}
describeResource(documentActivity, { create: entryOf });

describe('document activity: the rules', () => {
  const t = resourceRules(documents);

  it('records what happens to a document, by whom, newest first; the app role cannot write it', async () => {
    const { orgId, userId, token } = await t.tenant('admin');
    const upload = () => withTenant(t.db, { organizationId: orgId, userId }, (trx) => insertUpload(trx, orgId));
    const folder = await withTenant(t.db, { organizationId: orgId, userId }, (trx) =>
      trx
        .insertInto('folders')
        .values({ organization_id: orgId, name: 'Inbox' })
        .returning('id')
        .executeTakeFirstOrThrow(),
    );
    const doc = t.nodeOf<{ id: string }>(await t.create(token, { uploadId: (await upload()).id, title: 'Plan' }));
    const run = async (query: string, i: Record<string, unknown>) =>
      expect((await t.app.gql(query, { token, variables: { i } })).body.errors).toBeUndefined();
    await run(UPDATE, { id: doc.id, title: 'Plan B' });
    await run(UPDATE, { id: doc.id, folderId: folder.id });
    await run(UPDATE, { id: doc.id, status: 'PUBLISHED' });
    await run(UPDATE, { id: doc.id, description: 'Longer' });
    await run('mutation ($i: AddDocumentVersionInput!) { addDocumentVersion(input: $i) { deduplicated } }', {
      documentId: doc.id,
      uploadId: (await upload()).id,
    });
    expect((await t.delete(token, doc.id)).body.errors).toBeUndefined();
    expect((await t.restore(token, doc.id)).body.errors).toBeUndefined();
    const res = await t.app.gql(
      `{ document(id: "${doc.id}") { activity(first: 20) { edges { node { action actor { id } changes } } } } }`,
      { token },
    );
    const nodes = (
      res.body.data as {
        document: { activity: { edges: { node: { action: string; actor: { id: string }; changes: unknown } }[] } };
      }
    ).document.activity.edges.map((e) => e.node);
    expect(nodes.map((n) => n.action)).toEqual([
      'RESTORED',
      'DELETED',
      'NEW_VERSION',
      'UPDATED',
      'STATUS_CHANGED',
      'MOVED',
      'RENAMED',
      'CREATED',
    ]);
    expect(new Set(nodes.map((n) => n.actor.id))).toEqual(new Set([userId]));
    expect(nodes[6]!.changes).toEqual({ before: { title: 'Plan' }, after: { title: 'Plan B' } });

    // Only a trigger writes it: the app role's own insert is refused by row-level security.
    const client = await testPool('app', 1).connect();
    try {
      await client.query('begin');
      await client.query(
        "select set_config('app.current_org_id', $1, true), set_config('app.current_user_id', $2, true)",
        [orgId, userId],
      );
      await expect(
        client.query(
          `insert into document_activity (organization_id, document_id, action) values ($1, $2, 'renamed')`,
          [orgId, doc.id],
        ),
      ).rejects.toThrow(/row-level security/);
    } finally {
      await client.query('rollback');
      client.release();
    }
  });
});

describe('document activity: share links', () => {
  const t = resourceRules(documents);
  const CREATE_SHARE =
    'mutation ($input: CreateDocumentShareInput!) { createDocumentShare(input: $input) { share { id } token } }';
  const REVOKE_SHARE =
    'mutation ($input: RevokeDocumentShareInput!) { revokeDocumentShare(input: $input) { share { id } } }';

  /** An admin's document with real bytes in the blob store (a share link serves them). */
  async function sharedTenant() {
    const tenant = await t.tenant('admin');
    const uploadId = await uploadFile(t.app, tenant.token, Buffer.from('%PDF-1.7\nshared\n'), 'Shared.pdf');
    const doc = t.nodeOf<{ id: string }>(await t.create(tenant.token, { uploadId, title: 'Shared' }));
    const share = async (input: Record<string, unknown> = {}) => {
      const { createDocumentShare } = await mutateData<{
        createDocumentShare: { share: { id: string }; token: string };
      }>(t.app, tenant.token, CREATE_SHARE, { documentId: doc.id, ...input });
      return { id: createDocumentShare.share.id, link: createDocumentShare.token };
    };
    const revoke = (id: string) => mutateData(t.app, tenant.token, REVOKE_SHARE, { id });
    return { ...tenant, documentId: doc.id, share, revoke };
  }
  const use = async (link: string) => {
    const res = await fetch(new URL(`/shares/${link}`, t.app.url));
    await res.arrayBuffer();
    return res.status;
  };
  /** The document's share entries, oldest first, as stored. */
  const shareEntries = async (documentId: string) =>
    (
      await t.superuser.query<{
        action: string;
        actor_user_id: string | null;
        actor_api_key_id: string | null;
        changes: Record<string, unknown>;
      }>(
        `select action, actor_user_id, actor_api_key_id, changes from document_activity
          where document_id = $1 and action in ('shared', 'share_revoked', 'downloaded') order by created_at, id`,
        [documentId],
      )
    ).rows;

  it('records a link created, used and revoked, once each: by whom, which link; a download has no actor', async () => {
    const { token, userId, documentId, share, revoke } = await sharedTenant();
    const link = await share({ maxDownloads: 5 });
    expect(await use(link.link)).toBe(200);
    await revoke(link.id);
    await revoke(link.id); // revoking twice changes nothing, and records nothing
    expect(await shareEntries(documentId)).toEqual([
      {
        action: 'shared',
        actor_user_id: userId,
        actor_api_key_id: null,
        changes: { shareId: link.id, access: 'download', expiresAt: expect.any(String), maxDownloads: 5 },
      },
      {
        action: 'downloaded',
        actor_user_id: null,
        actor_api_key_id: null,
        changes: { shareId: link.id, access: 'download', downloadCount: 1 },
      },
      {
        action: 'share_revoked',
        actor_user_id: userId,
        actor_api_key_id: null,
        changes: { shareId: link.id, access: 'download' },
      },
    ]);

    // Seen through the API by whoever sees the document, newest first; the download's actor is null.
    const res = await t.app.gql<{
      document: { activity: { edges: { node: { action: string; actor: { id: string } | null } }[] } };
    }>('query ($id: UUID!) { document(id: $id) { activity(first: 10) { edges { node { action actor { id } } } } } }', {
      token,
      variables: { id: documentId },
    });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.document.activity.edges.map((e) => e.node)).toEqual([
      { action: 'SHARE_REVOKED', actor: { id: userId } },
      { action: 'DOWNLOADED', actor: null },
      { action: 'SHARED', actor: { id: userId } },
      { action: 'CREATED', actor: { id: userId } },
    ]);
  });

  it('records no download for a link that does not work: used up, revoked, expired', async () => {
    const { orgId, documentId, share, revoke } = await sharedTenant();
    const usedUp = await share({ maxDownloads: 1 });
    expect(await use(usedUp.link)).toBe(200);
    expect(await use(usedUp.link)).toBe(404);
    const revoked = await share();
    await revoke(revoked.id);
    expect(await use(revoked.link)).toBe(404);
    const expired = await share();
    await withTenant(t.db, { organizationId: orgId, userId: null }, (trx) =>
      trx
        .updateTable('document_shares')
        .set({ expires_at: new Date(Date.now() - 1000) })
        .where('id', '=', expired.id)
        .execute(),
    );
    expect(await use(expired.link)).toBe(404);
    const downloads = (await shareEntries(documentId)).filter((e) => e.action === 'downloaded');
    expect(downloads.map((e) => e.changes.shareId)).toEqual([usedUp.id]);
  });

  it('refuses an insert by the role links use (tenantql_auth) outside a trigger', async () => {
    const { orgId, documentId } = await sharedTenant();
    const client = await t.superuser.connect();
    try {
      await client.query('begin');
      await client.query("select set_config('app.current_org_id', $1, true)", [orgId]);
      await client.query('set local role tenantql_auth');
      await expect(
        client.query(
          `insert into document_activity (organization_id, document_id, action) values ($1, $2, 'downloaded')`,
          [orgId, documentId],
        ),
      ).rejects.toThrow(/row-level security|permission denied/);
    } finally {
      await client.query('rollback');
      client.release();
    }
  });
});
