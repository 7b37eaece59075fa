import { describeResource, type Suite, type Tenant } from '../support/describe-resource';
import { documentShares } from '../../src/modules/documents/document-shares';
import { documentPerTenant } from '../support/documents';

const CREATE = 'mutation ($i: CreateDocumentShareInput!) { createDocumentShare(input: $i) { share { id } token } }';

/** Shares come from createDocumentShare (the token is made there): one document per tenant, one more link per row. */
const documentOf = documentPerTenant();
async function shareOf(tenant: Tenant, n: number, suite: Suite): Promise<string> {
  const documentId = await documentOf(suite.db, tenant, n);
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
