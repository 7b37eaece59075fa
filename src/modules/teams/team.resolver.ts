import { Arg, Args, Authorized, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { ConnectionArgs } from '../../graphql/connection';
import { NotFoundError } from '../../errors';
import { Organization } from '../tenancy/organization.type';
import { User } from '../tenancy/user.type';
import { userById } from '../tenancy/tenancy.loaders';
import {
  AddTeamMemberInput,
  CreateTeamInput,
  DeleteTeamInput,
  RemoveTeamMemberInput,
  UpdateTeamInput,
} from './team.input';
import {
  DeleteTeamPayload,
  RemoveTeamMemberPayload,
  Team,
  TeamConnection,
  TeamMember,
  TeamMemberConnection,
  TeamMemberPayload,
  TeamPayload,
} from './team.type';
import { membersOfTeam, teamById, teamsOfOrganization, teamsOfUser } from './team.loaders';
import * as teams from './team.service';

const teamPayload = (team: Team) => Object.assign(new TeamPayload(), { team });

@Resolver(() => Team)
export class TeamResolver {
  @Authorized('teams:read')
  @FieldResolver(() => TeamMemberConnection, {
    nullable: true,
    description: 'Members of the team, in the order they joined.',
  })
  members(@Root() team: Team, @Args() page: ConnectionArgs, @Ctx() ctx: Context): Promise<TeamMemberConnection> {
    return membersOfTeam.load(
      ctx.loaders,
      { parentId: team.id, args: { ...page } },
      new TeamMemberConnection(),
      TeamMember.fromRow,
    );
  }

  @Authorized('teams:manage')
  @Mutation(() => TeamPayload)
  async createTeam(
    @Arg('input', () => CreateTeamInput) input: CreateTeamInput,
    @Ctx() ctx: Context,
  ): Promise<TeamPayload> {
    return teamPayload(await teams.createTeam(ctx, input));
  }

  @Authorized('teams:manage')
  @Mutation(() => TeamPayload)
  async updateTeam(
    @Arg('input', () => UpdateTeamInput) input: UpdateTeamInput,
    @Ctx() ctx: Context,
  ): Promise<TeamPayload> {
    return teamPayload(await teams.updateTeam(ctx, input));
  }

  @Authorized('teams:manage')
  @Mutation(() => DeleteTeamPayload, { description: 'Deletes a team; its people stay members of the organization.' })
  async deleteTeam(
    @Arg('input', () => DeleteTeamInput) input: DeleteTeamInput,
    @Ctx() ctx: Context,
  ): Promise<DeleteTeamPayload> {
    return Object.assign(new DeleteTeamPayload(), { deletedTeamId: await teams.deleteTeam(ctx, input.id) });
  }

  @Authorized('teams:manage')
  @Mutation(() => TeamMemberPayload)
  async addTeamMember(
    @Arg('input', () => AddTeamMemberInput) input: AddTeamMemberInput,
    @Ctx() ctx: Context,
  ): Promise<TeamMemberPayload> {
    return Object.assign(new TeamMemberPayload(), { teamMember: await teams.addTeamMember(ctx, input) });
  }

  @Authorized('teams:manage')
  @Mutation(() => RemoveTeamMemberPayload)
  async removeTeamMember(
    @Arg('input', () => RemoveTeamMemberInput) input: RemoveTeamMemberInput,
    @Ctx() ctx: Context,
  ): Promise<RemoveTeamMemberPayload> {
    return Object.assign(new RemoveTeamMemberPayload(), {
      removedTeamMemberId: await teams.removeTeamMember(ctx, input),
    });
  }
}

@Resolver(() => TeamMember)
export class TeamMemberResolver {
  @FieldResolver(() => User)
  async user(@Root() member: TeamMember, @Ctx() ctx: Context): Promise<User> {
    const user = await ctx.loaders.use(userById).load(member.userId);
    if (!user) throw new NotFoundError('User');
    return user;
  }

  @FieldResolver(() => Team)
  async team(@Root() member: TeamMember, @Ctx() ctx: Context): Promise<Team> {
    const team = await ctx.loaders.use(teamById).load(member.teamId);
    if (!team) throw new NotFoundError('Team');
    return team;
  }
}

@Resolver(() => Organization)
export class OrganizationTeamsResolver {
  @Authorized('teams:read')
  @FieldResolver(() => TeamConnection, { nullable: true, description: 'Teams, by name.' })
  teams(
    @Root() organization: Organization,
    @Args() page: ConnectionArgs,
    @Ctx() ctx: Context,
  ): Promise<TeamConnection> {
    return teamsOfOrganization.load(
      ctx.loaders,
      { parentId: organization.id, args: { ...page } },
      new TeamConnection(),
      Team.fromRow,
    );
  }
}

@Resolver(() => User)
export class UserTeamsResolver {
  @Authorized('teams:read')
  @FieldResolver(() => TeamMemberConnection, {
    nullable: true,
    description: "The user's teams in the current organization, in the order joined.",
  })
  teams(@Root() user: User, @Args() page: ConnectionArgs, @Ctx() ctx: Context): Promise<TeamMemberConnection> {
    return teamsOfUser.load(
      ctx.loaders,
      { parentId: user.id, args: { ...page } },
      new TeamMemberConnection(),
      TeamMember.fromRow,
    );
  }
}
