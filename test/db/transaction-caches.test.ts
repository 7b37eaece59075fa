import crypto from 'node:crypto';
import type pg from 'pg';
import { closeTestPools, ownerDb, testPool } from '../support/db';
import { addMember, createOrganization, createProject, createRole, createUser } from '../support/factories';
import { withTenant } from '../../src/db/database';

/**
 * Migration 0015: the caller's permissions and hidden private projects are computed once per
 * transaction, kept under the context they were computed for, and forgotten by the writes that
 * can change them, in the same transaction. Checked as the app role, as a request runs.
 */
describe('per-transaction caches of permissions and hidden projects', () => {
  const db = ownerDb();
  let app: pg.Pool;
  let orgId: string;
  let ownerId: string;
  let memberId: string;
  let privateProjectId: string;
  let publicProjectId: string;
  let keyId: string;

  beforeAll(async () => {
    app = testPool('app');
    orgId = (await createOrganization(db)).id;
    ownerId = (await createUser(db)).id;
    memberId = (await createUser(db)).id;
    await addMember(db, orgId, ownerId, { role: 'owner' });
    await addMember(db, orgId, memberId, { role: 'member' });
    privateProjectId = (await createProject(db, orgId, ownerId, { visibility: 'private' })).id;
    publicProjectId = (await createProject(db, orgId, ownerId)).id;
    // An API key the member created, asking for more than the member holds.
    keyId = (
      await withTenant(db, { organizationId: orgId, userId: memberId }, (trx) =>
        trx
          .insertInto('api_keys')
          .values({
            organization_id: orgId,
            name: 'cache test key',
            prefix: `tq_${crypto.randomBytes(4).toString('hex')}`,
            secret_hash: crypto.randomBytes(32).toString('hex'),
            permissions: ['projects:read', 'projects:read_private'],
          })
          .returning('id')
          .executeTakeFirstOrThrow(),
      )
    ).id;
  });

  afterAll(closeTestPools);

  /** Runs `fn` in one transaction on one connection as the app role, then rolls back. */
  async function inTransaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await app.connect();
    try {
      await client.query('begin');
      return await fn(client);
    } finally {
      await client.query('rollback');
      client.release();
    }
  }

  const actAs = (client: pg.PoolClient, userId: string) =>
    client.query(
      "select set_config('app.current_org_id', $1, true), set_config('app.current_user_id', $2, true), set_config('app.current_api_key_id', '', true)",
      [orgId, userId],
    );
  const setting = async (client: pg.PoolClient, name: string) =>
    (await client.query('select current_setting($1, true) as value', [name])).rows[0].value as string | null;
  const sees = async (client: pg.PoolClient, projectId: string) =>
    (await client.query('select count(*)::int as n from projects where id = $1', [projectId])).rows[0].n === 1;
  const permissions = async (client: pg.PoolClient) =>
    (await client.query('select app.current_permissions() as p')).rows[0].p as string[];

  it('keeps the answers of the first statement for the next ones, and forgets them at the end of the transaction', async () => {
    const client = await app.connect();
    try {
      await client.query('begin');
      await actAs(client, memberId);
      // The first statement on projects asks the private-project policy (a SECURITY DEFINER function) once.
      expect(await sees(client, privateProjectId)).toBe(false);
      expect(await setting(client, 'app.cached_hidden_project_ids')).toBe(
        `${orgId}|${memberId}|=${`{${privateProjectId}}`}`,
      );
      expect(await setting(client, 'app.cached_permissions')).toMatch(
        new RegExp(`^${orgId}\\|${memberId}\\|=\\{.*projects:read.*\\}$`),
      );
      expect(await permissions(client)).not.toContain('projects:read_private');
      await client.query('commit');
      expect(await setting(client, 'app.cached_permissions')).toBeFalsy();
      expect(await setting(client, 'app.cached_hidden_project_ids')).toBeFalsy();
    } finally {
      client.release();
    }
  });

  it('answers for the context it was computed in: another user in the same transaction gets their own', async () => {
    await inTransaction(async (client) => {
      await actAs(client, memberId);
      expect(await sees(client, privateProjectId)).toBe(false);
      await actAs(client, ownerId);
      expect(await permissions(client)).toContain('projects:read_private');
      expect(await sees(client, privateProjectId)).toBe(true);
      await actAs(client, memberId);
      expect(await sees(client, privateProjectId)).toBe(false);
    });
  });

  it('sees a change of role made earlier in the same transaction', async () => {
    await inTransaction(async (client) => {
      await actAs(client, memberId);
      expect(await sees(client, privateProjectId)).toBe(false);
      await client.query("update memberships set role = 'admin' where organization_id = $1 and user_id = $2", [
        orgId,
        memberId,
      ]);
      expect(await permissions(client)).toContain('projects:read_private');
      expect(await sees(client, privateProjectId)).toBe(true);
      await client.query("update memberships set role = 'viewer' where organization_id = $1 and user_id = $2", [
        orgId,
        memberId,
      ]);
      expect(await permissions(client)).not.toContain('projects:read_private');
      expect(await sees(client, privateProjectId)).toBe(false);
    });
  });

  it('sees project membership and visibility changed earlier in the same transaction', async () => {
    await inTransaction(async (client) => {
      await actAs(client, memberId);
      expect(await sees(client, privateProjectId)).toBe(false);
      expect(await sees(client, publicProjectId)).toBe(true);
      await client.query(
        "insert into project_members (organization_id, project_id, user_id, role) values ($1, $2, $3, 'member')",
        [orgId, publicProjectId, memberId],
      );
      await client.query("update projects set visibility = 'private' where id = $1", [publicProjectId]);
      expect(await sees(client, publicProjectId)).toBe(true);
      await client.query('delete from project_members where project_id = $1 and user_id = $2', [
        publicProjectId,
        memberId,
      ]);
      expect(await sees(client, publicProjectId)).toBe(false);
      expect(await sees(client, privateProjectId)).toBe(false);
    });
  });

  it("answers for an API key (its own permissions within its creator's), and for a user again after it", async () => {
    await inTransaction(async (client) => {
      const asKey = () =>
        client.query(
          "select set_config('app.current_org_id', $1, true), set_config('app.current_user_id', '', true), set_config('app.current_api_key_id', $2, true)",
          [orgId, keyId],
        );
      await asKey();
      expect(await permissions(client)).toEqual(['projects:read']);
      expect(await sees(client, privateProjectId)).toBe(false);
      await actAs(client, ownerId);
      expect(await sees(client, privateProjectId)).toBe(true);
      await asKey();
      expect(await sees(client, privateProjectId)).toBe(false);
      // The creator becomes an admin: the key may now use the read_private it asked for.
      await client.query("update memberships set role = 'admin' where organization_id = $1 and user_id = $2", [
        orgId,
        memberId,
      ]);
      expect(await permissions(client)).toEqual(['projects:read', 'projects:read_private']);
      expect(await sees(client, privateProjectId)).toBe(true);
    });
  });

  it("sees a custom role's grants changed earlier in the same transaction", async () => {
    const role = await createRole(db, orgId, ['projects:read']);
    await inTransaction(async (client) => {
      await actAs(client, memberId);
      const updated = await client.query(
        "update memberships set role = 'viewer', custom_role_id = $3 where organization_id = $1 and user_id = $2",
        [orgId, memberId, role.id],
      );
      expect(updated.rowCount).toBe(1);
      expect(await sees(client, privateProjectId)).toBe(false);
      await client.query(
        "insert into role_permissions (organization_id, role_id, permission) values ($1, $2, 'projects:read_private')",
        [orgId, role.id],
      );
      expect(await sees(client, privateProjectId)).toBe(true);
      await client.query(
        "delete from role_permissions where organization_id = $1 and role_id = $2 and permission = 'projects:read_private'",
        [orgId, role.id],
      );
      expect(await sees(client, privateProjectId)).toBe(false);
    });
  });

  it('forgets what a rolled-back savepoint computed', async () => {
    await inTransaction(async (client) => {
      await actAs(client, memberId);
      await client.query('savepoint s');
      await client.query("update memberships set role = 'admin' where organization_id = $1 and user_id = $2", [
        orgId,
        memberId,
      ]);
      expect(await sees(client, privateProjectId)).toBe(true);
      await client.query('rollback to savepoint s');
      expect(await sees(client, privateProjectId)).toBe(false);
    });
  });
});
