import { withTenant } from '../../src/db/database';
import { describeResource, type Suite, type Tenant } from '../support/describe-resource';
import { documentShares } from '../../src/modules/documents/document-shares';
import { documents } from '../../src/modules/documents/documents';

const CREATE = 'mutation ($i: CreateDocumentShareInput!) { createDocumentShare(input: $i) { share { id } token } }';

/** Shares come from createDocumentShare (the token is made there): one document per tenant, one more link per row. */
const documentOf = new Map<string, Promise<string>>();
async function shareOf(tenant: Tenant, n: number, suite: Suite): Promise<string> {
  if (!documentOf.has(tenant.id))
    documentOf.set(
      tenant.id,
      withTenant(suite.db, { organizationId: tenant.id, userId: tenant.admin.userId }, (trx) =>
        trx
          .insertInto('documents')
          .values({ organization_id: tenant.id, ...documents.spec.example(n) })
          .returning('id')
          .executeTakeFirstOrThrow()
          .then((d) => d.id),
      ),
    );
  const documentId = await documentOf.get(tenant.id)!;
  const res = await suite.app.gql<{ createDocumentShare: { share: { id: string } } }>(CREATE, {
    token: tenant.admin.token,
    variables: { i: { documentId, maxDownloads: n + 1 } },
  });
  expect(res.body.errors).toBeUndefined();
  return res.body.data!.createDocumentShare.share.id;
}

// The layer's read side: Document.shares, pages, counts and tenant isolation. Using and revoking
// links, and MANAGE, are tested over HTTP (test/http/document-shares.test.ts).
describeResource(documentShares, { create: shareOf });
