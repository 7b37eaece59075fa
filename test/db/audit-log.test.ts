import crypto from 'node:crypto';
import type pg from 'pg';
import { closeTestPools, ownerDb, testPool } from '../support/db';
import { addMember, createOrganization, createProject, createSession, createUser } from '../support/factories';

/**
 * The audit log of migration 0010 and policies/audit.sql: written by a trigger in the same
 * transaction as the change, read-only for the app role, append-only even for the owner.
 */

interface Acting {
  organizationId: string;
  userId?: string | null;
  sessionId?: string;
  apiKeyId?: string;
  request?: string;
}

/** Runs `fn` in a transaction as the app role acting for an organization (and user); rolls back unless `commit`. */
async function actingAs<T>(
  pool: pg.Pool,
  acting: Acting,
  fn: (client: pg.PoolClient) => Promise<T>,
  options: { commit?: boolean } = {},
): Promise<T> {
  const client = await pool.connect();
  let done = false;
  try {
    await client.query('begin');
    await client.query(
      `select set_config('app.current_org_id', $1, true), set_config('app.current_user_id', $2, true),
                               set_config('app.current_session_id', $3, true), set_config('app.current_api_key_id', $4, true),
                               set_config('app.request', $5, true)`,
      [acting.organizationId, acting.userId ?? '', acting.sessionId ?? '', acting.apiKeyId ?? '', acting.request ?? ''],
    );
    const result = await fn(client);
    await client.query(options.commit ? 'commit' : 'rollback');
    done = true;
    return result;
  } finally {
    if (!done) await client.query('rollback');
    client.release();
  }
}

/** The SQLSTATE a statement fails with (null when it succeeds); the transaction goes on either way. */
async function sqlState(client: pg.PoolClient, text: string, values: unknown[] = []): Promise<string | null> {
  await client.query('savepoint attempt');
  try {
    await client.query(text, values);
    await client.query('release savepoint attempt');
    return null;
  } catch (error) {
    await client.query('rollback to savepoint attempt');
    return (error as { code?: string }).code ?? 'no code';
  }
}

/** What the request transaction puts in app.request: base64 of the request info's JSON. */
const requestSetting = (info: Record<string, string>) => Buffer.from(JSON.stringify(info), 'utf8').toString('base64');

const entriesFor = async (client: pg.PoolClient, resourceId: unknown) =>
  (await client.query('select * from audit_log where resource_id = $1 order by created_at, id', [resourceId])).rows;

describe('audit log', () => {
  const db = ownerDb();
  let app: pg.Pool;
  let orgId: string;
  let otherOrgId: string;
  let memberId: string;
  let projectId: string;

  beforeAll(async () => {
    app = testPool('app');
    orgId = (await createOrganization(db)).id;
    otherOrgId = (await createOrganization(db)).id;
    memberId = (await createUser(db)).id;
    await addMember(db, orgId, memberId, { role: 'member' });
    projectId = (await createProject(db, orgId, memberId)).id;
  });
  afterAll(closeTestPools);

  const insertTask = async (client: pg.PoolClient, title = `Task ${crypto.randomUUID().slice(0, 8)}`) =>
    (
      await client.query('insert into tasks (organization_id, project_id, title) values ($1, $2, $3) returning *', [
        orgId,
        projectId,
        title,
      ])
    ).rows[0];

  it('records a change once, in the same transaction, with the actor and the request', async () => {
    const request = requestSetting({
      requestId: 'req-123',
      ip: '203.0.113.7',
      userAgent: 'jest/30',
      operationName: 'CreateTask',
    });
    await actingAs(app, { organizationId: orgId, userId: memberId, request }, async (client) => {
      const task = await insertTask(client, 'Write the audit tests');
      const entries = await entriesFor(client, task.id);
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({
        organization_id: orgId,
        action: 'task.create',
        resource_type: 'task',
        resource_id: task.id,
        actor_user_id: memberId,
        actor_api_key_id: null,
        severity: 'info',
        request_id: 'req-123',
        ip: '203.0.113.7',
        user_agent: 'jest/30',
        operation_name: 'CreateTask',
      });
      const { changes } = entries[0];
      expect(Object.keys(changes)).toEqual(['after']);
      expect(changes.after).toMatchObject({
        id: task.id,
        title: 'Write the audit tests',
        status: 'backlog',
        project_id: projectId,
      });
      // Bookkeeping columns are left out.
      for (const column of [
        'created_at',
        'updated_at',
        'created_by',
        'updated_by',
        'priority_rank',
        'due_sort',
        'depth',
      ]) {
        expect({ column, present: column in changes.after }).toEqual({ column, present: false });
      }
    });
  });

  it('records only the changed columns of an update, and nothing for an update that changes nothing', async () => {
    await actingAs(app, { organizationId: orgId, userId: memberId }, async (client) => {
      const task = await insertTask(client, 'Before');
      await client.query(
        "update tasks set title = 'After', priority = 'urgent', description = description where id = $1",
        [task.id],
      );
      await client.query('update tasks set title = title where id = $1', [task.id]);
      await client.query('update tasks set assignee_id = $1 where id = $2', [memberId, task.id]);
      await client.query('update tasks set assignee_id = null where id = $1', [task.id]);
      const entries = await entriesFor(client, task.id);
      expect(entries.map((e) => [e.action, e.changes, e.severity])).toEqual([
        ['task.create', expect.anything(), 'info'],
        [
          'task.update',
          { before: { title: 'Before', priority: 'medium' }, after: { title: 'After', priority: 'urgent' } },
          'info',
        ],
        ['task.update', { before: { assignee_id: null }, after: { assignee_id: memberId } }, 'info'],
        ['task.update', { before: { assignee_id: memberId }, after: { assignee_id: null } }, 'info'],
      ]);
      // No request info when the request set none.
      expect(entries[1]).toMatchObject({ request_id: null, ip: null, user_agent: null, operation_name: null });
    });
  });

  it('records setting deleted_at as a delete (a warning) and clearing it as a restore', async () => {
    await actingAs(app, { organizationId: orgId, userId: memberId }, async (client) => {
      const project = (
        await client.query(
          "insert into projects (organization_id, name, slug, owner_id) values ($1, 'Doomed', 'doomed', $2) returning *",
          [orgId, memberId],
        )
      ).rows[0];
      const { deleted_at: deletedAt } = (
        await client.query(
          'update projects set deleted_at = now() where id = $1 returning to_jsonb(deleted_at) as deleted_at',
          [project.id],
        )
      ).rows[0];
      await client.query('update projects set deleted_at = null where id = $1', [project.id]);
      const entries = await entriesFor(client, project.id);
      expect(entries.map((e) => [e.action, e.resource_type, e.severity, e.changes])).toEqual([
        [
          'project.create',
          'project',
          'info',
          expect.objectContaining({ after: expect.objectContaining({ name: 'Doomed' }) }),
        ],
        ['project.delete', 'project', 'warning', { before: { deleted_at: null }, after: { deleted_at: deletedAt } }],
        ['project.restore', 'project', 'info', { before: { deleted_at: deletedAt }, after: { deleted_at: null } }],
      ]);
    });
  });

  it('records a removed row as a delete (a warning) with its last values', async () => {
    await actingAs(app, { organizationId: orgId, userId: memberId }, async (client) => {
      const row = (
        await client.query(
          "insert into project_members (organization_id, project_id, user_id, role) values ($1, $2, $3, 'lead') returning *",
          [orgId, projectId, memberId],
        )
      ).rows[0];
      await client.query('delete from project_members where id = $1', [row.id]);
      const entries = await entriesFor(client, row.id);
      expect(entries.map((e) => e.action)).toEqual(['project_member.create', 'project_member.delete']);
      expect(entries[1]).toMatchObject({
        severity: 'warning',
        resource_type: 'project_member',
        actor_user_id: memberId,
      });
      expect(Object.keys(entries[1].changes)).toEqual(['before']);
      expect(entries[1].changes.before).toMatchObject({
        id: row.id,
        project_id: projectId,
        user_id: memberId,
        role: 'lead',
      });
    });
  });

  it("never records a secret: an API key's hash, a password hash, a phone number", async () => {
    await actingAs(app, { organizationId: orgId, userId: memberId }, async (client) => {
      const secretHash = crypto.randomBytes(32).toString('hex');
      const keyId = crypto.randomUUID();
      await client.query(
        `insert into api_keys (organization_id, id, name, prefix, secret_hash, permissions)
                          values ($1, $2, 'partner', $3, $4, '{members:read}')`,
        [orgId, keyId, `tq_${crypto.randomBytes(4).toString('hex')}`, secretHash],
      );
      const [key] = await entriesFor(client, keyId);
      expect(key).toMatchObject({ action: 'api_key.create', severity: 'warning' });
      expect(key.changes.after).toMatchObject({ name: 'partner', secret_hash: '[redacted]' });
      expect(JSON.stringify(key.changes)).not.toContain(secretHash);

      // The phone number is self-only too (test/api/self-only-data.test.ts): left out altogether.
      await client.query(
        "update users set phone_number = 'v1.k1.c2VjcmV0LXBob25l', first_name = 'Phoebe' where id = $1",
        [memberId],
      );
      const [phone] = await entriesFor(client, memberId);
      expect(phone).toMatchObject({ action: 'user.update', resource_type: 'user', organization_id: orgId });
      expect(phone.changes).toEqual({ before: { first_name: expect.any(String) }, after: { first_name: 'Phoebe' } });
    });

    // changePassword's function, as a signed-in member (it needs a live session).
    const sessionId = await createSession(db, orgId, memberId);
    await actingAs(app, { organizationId: orgId, userId: memberId, sessionId }, async (client) => {
      const newHash = '$argon2id$v=19$m=19456,t=2,p=1$bm90LWEtcmVhbC1zYWx0$bm90LWEtcmVhbC1oYXNo';
      expect((await client.query('select app.set_password_of_current_user($1) as ok', [newHash])).rows[0].ok).toBe(
        true,
      );
      const entries = await entriesFor(client, memberId);
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ action: 'user.update', actor_user_id: memberId, organization_id: orgId });
      expect(entries[0].changes).toEqual({
        before: { password_hash: '[redacted]' },
        after: { password_hash: '[redacted]' },
      });
    });
  });

  it('records the API key a partner request acts with', async () => {
    const keyId = crypto.randomUUID();
    await actingAs(app, { organizationId: orgId, apiKeyId: keyId }, async (client) => {
      const task = await insertTask(client);
      expect(await entriesFor(client, task.id)).toEqual([
        expect.objectContaining({ action: 'task.create', actor_user_id: null, actor_api_key_id: keyId }),
      ]);
    });
  });

  it('leaves no entry behind a rolled-back transaction', async () => {
    const taskId = await actingAs(app, { organizationId: orgId, userId: memberId }, async (client) => {
      const task = await insertTask(client);
      expect(await entriesFor(client, task.id)).toHaveLength(1);
      return task.id;
    }); // rolled back
    await actingAs(app, { organizationId: orgId, userId: memberId }, async (client) => {
      expect(await entriesFor(client, taskId)).toEqual([]);
    });
    // And a committed change keeps its entry.
    const kept = await actingAs(app, { organizationId: orgId, userId: memberId }, (client) => insertTask(client), {
      commit: true,
    });
    await actingAs(app, { organizationId: orgId, userId: memberId }, async (client) => {
      expect(await entriesFor(client, kept.id)).toHaveLength(1);
    });
  });

  it('still records the change when the request setting is not valid base64 JSON', async () => {
    await actingAs(app, { organizationId: orgId, userId: memberId, request: 'not base64 at all!' }, async (client) => {
      const task = await insertTask(client);
      expect(await entriesFor(client, task.id)).toEqual([
        expect.objectContaining({ action: 'task.create', request_id: null, ip: null }),
      ]);
    });
  });

  it("lets the app role read its tenant's entries only, and never write, change, remove or empty one", async () => {
    const task = await actingAs(app, { organizationId: orgId, userId: memberId }, (client) => insertTask(client), {
      commit: true,
    });
    await actingAs(app, { organizationId: otherOrgId }, async (client) => {
      expect(await entriesFor(client, task.id)).toEqual([]);
    });
    await actingAs(app, { organizationId: orgId, userId: memberId }, async (client) => {
      expect(
        await sqlState(
          client,
          `insert into audit_log (organization_id, action, resource_type, resource_id)
                                     values ($1, 'task.create', 'task', $2)`,
          [orgId, task.id],
        ),
      ).toBe('42501');
      expect(
        await sqlState(client, "update audit_log set action = 'task.forged' where resource_id = $1", [task.id]),
      ).toBe('42501');
      expect(await sqlState(client, 'delete from audit_log where resource_id = $1', [task.id])).toBe('42501');
      expect(await sqlState(client, 'truncate audit_log')).toBe('42501');
      // Not even through the retention settings.
      await client.query(
        "select set_config('app.maintenance', 'on', true), set_config('app.audit_purge_before', 'infinity', true)",
      );
      expect(await sqlState(client, 'delete from audit_log where resource_id = $1', [task.id])).toBe('42501');
      expect(await entriesFor(client, task.id)).toEqual([expect.objectContaining({ action: 'task.create' })]);
    });
  });

  it('refuses the owner, even in maintenance mode, any change or removal but of entries older than the purge cut-off', async () => {
    const owner = testPool('owner', 1);
    const client = await owner.connect();
    const old = crypto.randomUUID();
    const recent = crypto.randomUUID();
    try {
      await client.query('begin');
      // Entries only the audit trigger's role may write: one 400 days old, one from now.
      await client.query('set local role tenantql_auth');
      await client.query(
        `insert into audit_log (organization_id, id, created_at, action, resource_type) values
                          ($1, $2, now() - interval '400 days', 'task.create', 'task'), ($1, $3, now(), 'task.create', 'task')`,
        [orgId, old, recent],
      );
      await client.query('reset role');
      await client.query("select set_config('app.maintenance', 'on', true)");
      const mine = 'organization_id = $1 and id = any($2::uuid[])';
      expect(
        (await client.query(`select count(*)::int as n from audit_log where ${mine}`, [orgId, [old, recent]])).rows[0]
          .n,
      ).toBe(2);

      expect(
        await sqlState(client, `update audit_log set action = 'task.forged' where ${mine}`, [orgId, [old, recent]]),
      ).toBe('42501');
      expect(
        await sqlState(client, 'delete from audit_log where organization_id = $1 and id = $2', [orgId, recent]),
      ).toBe('42501');
      expect(await sqlState(client, 'delete from audit_log where organization_id = $1 and id = $2', [orgId, old])).toBe(
        '42501',
      );
      expect(await sqlState(client, 'truncate audit_log')).toBe('42501');

      // no cut-off removes the last day's entries, not even one in the future
      await client.query("select set_config('app.audit_purge_before', 'infinity', true)");
      expect(
        await sqlState(client, 'delete from audit_log where organization_id = $1 and id = $2', [orgId, recent]),
      ).toBe('42501');

      await client.query("select set_config('app.audit_purge_before', (now() - interval '365 days')::text, true)");
      expect(
        await sqlState(client, 'delete from audit_log where organization_id = $1 and id = $2', [orgId, recent]),
      ).toBe('42501');
      expect(await sqlState(client, `update audit_log set action = 'task.forged' where ${mine}`, [orgId, [old]])).toBe(
        '42501',
      );
      expect(await sqlState(client, 'truncate audit_log')).toBe('42501');
      expect(
        (await client.query('delete from audit_log where organization_id = $1 and id = $2', [orgId, old])).rowCount,
      ).toBe(1);
      expect((await client.query(`select id from audit_log where ${mine}`, [orgId, [old, recent]])).rows).toEqual([
        { id: recent },
      ]);
    } finally {
      await client.query('rollback');
      client.release();
    }
  });

  it('has the audit trigger on every tenant table but audit_log and task_activity (install it on new ones)', async () => {
    const superuser = testPool('superuser', 1);
    const { rows } = await superuser.query<{
      table: string;
      triggers: { type: number; fn: string; enabled: string }[];
    }>(`
      select c.relname as table,
             coalesce((select jsonb_agg(jsonb_build_object('type', t.tgtype, 'fn', t.tgfoid::regproc::text, 'enabled', t.tgenabled))
                         from pg_trigger t where t.tgrelid = c.oid and t.tgname = 'audit' and not t.tgisinternal), '[]') as triggers
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = 'public' and c.relkind in ('r', 'p')
         and (exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'organization_id' and not a.attisdropped)
              or c.relname in ('organizations', 'users'))
       order by 1`);
    expect(rows.map((r) => r.table)).toEqual(
      expect.arrayContaining([
        'tasks',
        'projects',
        'memberships',
        'api_keys',
        'audit_log',
        'task_activity',
        'organizations',
        'users',
      ]),
    );
    // After each row inserted, updated or deleted (tgtype ROW 1 + INSERT 4 + DELETE 8 + UPDATE 16), enabled.
    const audited = { type: 1 | 4 | 8 | 16, fn: 'app.audit_row', enabled: 'O' };
    for (const { table, triggers } of rows) {
      const expected = ['audit_log', 'task_activity'].includes(table) ? [] : [audited];
      expect({ table, triggers }).toEqual({ table, triggers: expected });
    }
  });
});
