import { withTenant } from '../../src/db/database';
import { describeResource, type Suite, type Tenant } from '../support/describe-resource';
import { resourceRules } from '../support/resource-rules';
import { insertUpload } from '../support/factories';
import { documentPerTenant } from '../support/documents';
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
