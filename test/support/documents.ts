import type { Kysely } from 'kysely';
import type { Database } from '../../src/db/schema';
import { withTenant } from '../../src/db/database';
import { documents } from '../../src/modules/documents/documents';
import type { TestApp } from './app';
import type { Tenant } from './describe-resource';

/** `POST /uploads` of `bytes` as `name`; the upload's id (throws on any answer but 201). */
export async function uploadFile(app: TestApp, token: string, bytes: Buffer, name: string): Promise<string> {
  const res = await fetch(new URL(`/uploads?name=${encodeURIComponent(name)}`, app.url), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: bytes,
  });
  const body = (await res.json()) as { uploadId: string };
  if (res.status !== 201) throw new Error(JSON.stringify(body));
  return body.uploadId;
}

/** A mutation taking `$input`; its data (throws on errors). */
export async function mutateData<T>(
  app: TestApp,
  token: string,
  query: string,
  input: Record<string, unknown>,
): Promise<T> {
  const res = await app.gql<T>(query, { token, variables: { input } });
  if (!res.body.data) throw new Error(JSON.stringify(res.body.errors));
  return res.body.data;
}

/**
 * One document per tenant, inserted once (as the tenant's admin) and shared by every row a
 * conformance suite makes under it: activity entries, share links.
 */
export function documentPerTenant(): (db: Kysely<Database>, tenant: Tenant, n: number) => Promise<string> {
  const ids = new Map<string, Promise<string>>();
  return (db, tenant, n) => {
    let id = ids.get(tenant.id);
    if (!id)
      ids.set(
        tenant.id,
        (id = withTenant(db, { organizationId: tenant.id, userId: tenant.admin.userId }, (trx) =>
          trx
            .insertInto('documents')
            .values({ organization_id: tenant.id, ...documents.spec.example(n) })
            .returning('id')
            .executeTakeFirstOrThrow()
            .then((d) => d.id),
        )),
      );
    return id;
  };
}
