import { sql, type Kysely } from 'kysely';

/** The permission catalog of this migration: `<entity>:<action>`. Later modules add theirs. */
export const PERMISSIONS: [key: string, description: string][] = [
  ['organizations:read', 'See the organization'],
  ['organizations:update', 'Change the organization’s name, settings and plan details'],
  ['organizations:deactivate', 'Deactivate or reactivate the organization'],
  ['members:read', 'See members and their roles'],
  ['members:invite', 'Invite people to become members'],
  ['members:update', 'Change members’ status and role'],
  ['members:remove', 'Remove or transfer members'],
  ['users:read', 'See the people of the organization'],
  ['roles:read', 'See custom roles'],
  ['roles:manage', 'Create, change, delete and assign custom roles'],
  ['teams:read', 'See teams'],
  ['teams:manage', 'Create, change and delete teams and their members'],
  ['api_keys:read', 'See API keys'],
  ['api_keys:manage', 'Create and revoke API keys'],
];

const READ = ['organizations:read', 'members:read', 'users:read', 'roles:read', 'teams:read'];

/** Default grants of the built-in roles (documented in docs/security.md). */
export const BUILT_IN_GRANTS: Record<string, string[]> = {
  owner: PERMISSIONS.map(([key]) => key),
  admin: PERMISSIONS.map(([key]) => key).filter((key) => key !== 'organizations:deactivate'),
  officer: [...READ, 'members:invite', 'members:update', 'teams:manage'],
  member: READ,
  viewer: READ,
};

/**
 * Roles and permissions (seeds 001 and 003): a global permission catalog, the built-in roles'
 * grants, and custom roles per organization. A membership has a built-in role and optionally a
 * custom role; its permissions are the union of both.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table permissions (
      key text primary key check (key ~ '^[a-z][a-z_]*:[a-z][a-z_]*$'),
      description text not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      created_by uuid default app.current_user_id(),
      updated_by uuid default app.current_user_id()
    );

    create table built_in_role_permissions (
      role text not null check (role in ('owner', 'admin', 'officer', 'member', 'viewer')),
      permission text not null references permissions (key) on delete cascade,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      created_by uuid default app.current_user_id(),
      updated_by uuid default app.current_user_id(),
      primary key (role, permission)
    );

    create table roles (
      organization_id uuid not null references organizations (id),
      id uuid not null default gen_random_uuid(),
      name text not null check (char_length(btrim(name)) between 1 and 100),
      description text not null default '' check (char_length(description) <= 1000),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      created_by uuid default app.current_user_id(),
      updated_by uuid default app.current_user_id(),
      primary key (organization_id, id)
    );
    create unique index roles_name_key on roles (organization_id, lower(name));
    create trigger roles_touch before update on roles for each row execute function app.touch();

    create table role_permissions (
      organization_id uuid not null,
      id uuid not null default gen_random_uuid(),
      role_id uuid not null,
      permission text not null references permissions (key),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      created_by uuid default app.current_user_id(),
      updated_by uuid default app.current_user_id(),
      primary key (organization_id, id),
      foreign key (organization_id, role_id) references roles (organization_id, id) on delete cascade
    );
    create unique index role_permissions_key on role_permissions (organization_id, role_id, permission);

    alter table memberships add column custom_role_id uuid;
    alter table memberships add constraint memberships_custom_role_fkey
      foreign key (organization_id, custom_role_id) references roles (organization_id, id);
    create index memberships_custom_role_idx on memberships (organization_id, custom_role_id) where custom_role_id is not null;

    -- What a member holds now: the built-in role's grants plus the custom role's (nothing unless a
    -- live member with platform access). Runs as the caller, inside RLS.
    create function app.member_permissions(p_organization_id uuid, p_user_id uuid) returns text[]
      language sql stable
      as $$
        select coalesce(array_agg(distinct g.p order by g.p), '{}')
          from public.memberships m
          cross join lateral (
            select b.permission from public.built_in_role_permissions b where b.role = m.role
            union
            select r.permission from public.role_permissions r
             where r.organization_id = m.organization_id and r.role_id = m.custom_role_id) g(p)
         where m.organization_id = p_organization_id and m.user_id = p_user_id
           and m.ended_at is null and app.membership_grants_access(m.status)
      $$;

    -- What the request's viewer may do in the current organization.
    create function app.current_permissions() returns text[]
      language sql stable
      as $$ select app.member_permissions(app.current_org_id(), app.current_user_id()) $$;
  `.execute(db);

  await sql`insert into permissions (key, description) select * from unnest(${PERMISSIONS.map(([k]) => k)}::text[], ${PERMISSIONS.map(([, d]) => d)}::text[])`.execute(
    db,
  );
  const grants = Object.entries(BUILT_IN_GRANTS).flatMap(([role, keys]) => keys.map((key) => [role, key] as const));
  await sql`insert into built_in_role_permissions (role, permission) select * from unnest(${grants.map(([r]) => r)}::text[], ${grants.map(([, k]) => k)}::text[])`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop function app.current_permissions();
    drop function app.member_permissions(uuid, uuid);
    alter table memberships drop column custom_role_id;
    drop table role_permissions, roles, built_in_role_permissions, permissions;
  `.execute(db);
}
