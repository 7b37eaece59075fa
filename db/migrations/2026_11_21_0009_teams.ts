import { sql, type Kysely } from 'kysely';

/** Teams (seed 003): groups of members within an organization. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table teams (
      organization_id uuid not null references organizations (id),
      id uuid not null default gen_random_uuid(),
      name text not null check (char_length(btrim(name)) between 1 and 255),
      description text not null default '' check (char_length(description) <= 2000),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      created_by uuid default app.current_user_id(),
      updated_by uuid default app.current_user_id(),
      primary key (organization_id, id)
    );
    -- Seed 003: (tenant, name) unique.
    create unique index teams_name_key on teams (organization_id, lower(name));
    create trigger teams_touch before update on teams for each row execute function app.touch();

    create table team_members (
      organization_id uuid not null,
      id uuid not null default gen_random_uuid(),
      team_id uuid not null,
      user_id uuid not null references users (id),
      role text not null default 'member' check (role in ('lead', 'member')),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      created_by uuid default app.current_user_id(),
      updated_by uuid default app.current_user_id(),
      primary key (organization_id, id),
      foreign key (organization_id, team_id) references teams (organization_id, id) on delete cascade
    );
    create unique index team_members_key on team_members (organization_id, team_id, user_id);
    create index team_members_team_idx on team_members (organization_id, team_id, created_at, id);
    create index team_members_user_idx on team_members (organization_id, user_id, created_at, id);
    create trigger team_members_touch before update on team_members for each row execute function app.touch();

    -- Only live members of the organization join its teams (checked inside RLS, as the writer).
    create function app.team_member_is_member() returns trigger
      language plpgsql
      as $$
      begin
        -- Another tenant's row: leave the refusal to RLS, which says nothing about that tenant.
        if new.organization_id is distinct from app.current_org_id() then
          return new;
        end if;
        if not exists (select 1 from public.memberships m
                        where m.organization_id = new.organization_id and m.user_id = new.user_id and m.ended_at is null) then
          raise exception 'user % is not a member of the organization', new.user_id using errcode = '23503';
        end if;
        return new;
      end
      $$;
    create trigger team_members_are_members before insert or update on team_members
      for each row execute function app.team_member_is_member();
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop table team_members, teams;
    drop function app.team_member_is_member();
  `.execute(db);
}
