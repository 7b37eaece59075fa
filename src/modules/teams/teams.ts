import { registerEnumType } from 'type-graphql';
import { BadUserInputError } from '../../errors';
import { col, defineResource, external, parent } from '../../resources';
import { Organization } from '../tenancy/organization.type';
import { User } from '../tenancy/user.type';
import { organizationById, userById } from '../tenancy/tenancy.loaders';

export const TeamMemberRoleEnum = { LEAD: 'lead', MEMBER: 'member' } as const;
registerEnumType(TeamMemberRoleEnum, { name: 'TeamMemberRole' });

const organizationRef = external({
  typeName: 'Organization',
  type: () => Organization,
  table: 'organizations',
  byId: organizationById,
  label: 'Organization',
});
const userRef = external({ typeName: 'User', type: () => User, table: 'users', byId: userById, label: 'User' });

export const teams = defineResource({
  name: 'Team',
  table: 'teams',
  description: 'A group of members within an organization.',
  relations: {
    organization: parent(organizationRef, {
      column: 'organization_id',
      inverse: {
        field: 'teams',
        description: 'Teams, by name.',
        read: 'teams:read',
        args: 'page',
        loaderName: 'teamsOfOrganization',
      },
    }),
  },
  columns: {
    name: col.text({ length: { min: 1, max: 255 }, create: 'required', update: true }),
    description: col.text({ dbDefault: true, length: { max: 2000 }, create: 'optional', update: true }),
  },
  timestamps: { createdAt: true },
  permissions: { read: 'teams:read', create: 'teams:manage', update: 'teams:manage', delete: 'teams:manage' },
  lists: { orders: { name_asc: { column: 'name', direction: 'asc', type: 'text' } }, alias: 't' },
  mutations: {
    create: {},
    update: {},
    delete: { mode: 'hard', description: 'Deletes a team; its people stay members of the organization.' },
  },
  violations: { teams_name_key: ['name', 'This organization already has a team with that name'] },
  example: (n) => ({ name: `Team ${n}` }),
});

export const teamMembers = defineResource({
  name: 'TeamMember',
  table: 'team_members',
  description: 'A user in a team.',
  label: 'Team member',
  relations: {
    user: parent(userRef, {
      column: 'user_id',
      field: 'user',
      input: { create: 'required', description: 'A live member of the organization.' },
      inverse: {
        field: 'teams',
        description: "The user's teams in the current organization, in the order joined.",
        read: 'teams:read',
        args: 'page',
        loaderName: 'teamsOfUser',
      },
    }),
    team: parent(() => teams, {
      column: 'team_id',
      field: 'team',
      input: { create: 'required' },
      mustExist: true,
      inverse: {
        field: 'members',
        description: 'Members of the team, in the order they joined.',
        read: 'teams:read',
        args: 'page',
        loaderName: 'membersOfTeam',
      },
    }),
  },
  columns: {
    role: col.enum(['lead', 'member'], TeamMemberRoleEnum, {
      dbDefault: true,
      create: { required: true, defaultValue: 'member' },
    }),
  },
  timestamps: { createdAt: { description: 'When they joined the team.', aggregate: { measures: ['min', 'max'] } } },
  permissions: { read: 'teams:read', create: 'teams:manage', delete: 'teams:manage' },
  lists: { orders: { created_at_asc: { column: 'created_at', direction: 'asc', type: 'timestamp' } }, alias: 'tm' },
  mutations: {
    create: { name: 'addTeamMember', inputName: 'AddTeamMemberInput', order: ['teamId', 'userId', 'role'] },
    delete: {
      mode: 'hard',
      name: 'removeTeamMember',
      inputName: 'RemoveTeamMemberInput',
      by: ['teamId', 'userId'],
      payloadName: 'RemoveTeamMemberPayload',
      payloadField: 'removedTeamMemberId',
    },
    payload: { name: 'TeamMemberPayload', field: 'teamMember' },
  },
  violations: { team_members_key: ['userId', 'That user is already in the team'] },
  rules: {
    // Also a trigger's rule; its 23503 carries no constraint name to map, so the field error is given here.
    async beforeCreate(ctx, values) {
      const member = await (
        await ctx.db.get()
      )
        .selectFrom('memberships')
        .select('id')
        .where('user_id', '=', values.user_id as string)
        .where('ended_at', 'is', null)
        .executeTakeFirst();
      if (!member) throw new BadUserInputError('userId', 'That user is not a member of this organization');
    },
  },
  example: () => ({}),
});
