import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { LoginInput, RefreshSessionInput, SwitchOrganizationInput } from './session.input';
import { CreateOrganizationInput } from '../tenancy/organization.input';
import { AcceptInvitationInput } from '../tenancy/membership.input';
import { AuthPayload, SignOutPayload } from './session.type';
import * as sessions from './session.service';
import { Cost } from '../../graphql/field-costs';
import { WithoutOrganization } from '../../graphql/auth-checker';
import { authPayload } from './session.payload';

const signedOut = (sessionsEnded: number) => Object.assign(new SignOutPayload(), { sessionsEnded });

@Resolver()
export class SessionResolver {
  @Cost({ credential: true, argon2: true })
  @Mutation(() => AuthPayload, {
    description: 'Signs in with email and password; fails with UNAUTHENTICATED, never saying why.',
  })
  async login(@Arg('input', () => LoginInput) input: LoginInput, @Ctx() ctx: Context): Promise<AuthPayload> {
    return authPayload(ctx, await sessions.login(ctx, input));
  }

  @Cost({ credential: true, runsFirst: true })
  @Mutation(() => AuthPayload, {
    description: 'Trades a refresh token for new tokens. Presenting a used refresh token again ends the whole session.',
  })
  async refreshSession(
    @Arg('input', () => RefreshSessionInput) input: RefreshSessionInput,
    @Ctx() ctx: Context,
  ): Promise<AuthPayload> {
    return authPayload(ctx, await sessions.refreshSession(ctx, input.refreshToken));
  }

  @WithoutOrganization()
  @Authorized()
  @Mutation(() => SignOutPayload, {
    description: 'Ends the current session (a session without an organization ends when its access token expires).',
  })
  async logout(@Ctx() ctx: Context): Promise<SignOutPayload> {
    return signedOut(await sessions.logout(ctx));
  }

  @WithoutOrganization()
  @Authorized()
  @Mutation(() => SignOutPayload, { description: 'Ends every session of the signed-in user, in every organization.' })
  async logoutEverywhere(@Ctx() ctx: Context): Promise<SignOutPayload> {
    return signedOut(await sessions.logoutEverywhere(ctx));
  }

  @WithoutOrganization()
  @Authorized()
  @Mutation(() => AuthPayload, { description: 'Starts a session in another organization the user may sign in to.' })
  async switchOrganization(
    @Arg('input', () => SwitchOrganizationInput) input: SwitchOrganizationInput,
    @Ctx() ctx: Context,
  ): Promise<AuthPayload> {
    return authPayload(ctx, await sessions.switchOrganization(ctx, input.organizationId));
  }

  @WithoutOrganization()
  @Authorized()
  @Mutation(() => AuthPayload, {
    description: 'Creates an organization owned by the signed-in user and starts a session in it.',
  })
  async createOrganization(
    @Arg('input', () => CreateOrganizationInput) input: CreateOrganizationInput,
    @Ctx() ctx: Context,
  ): Promise<AuthPayload> {
    return authPayload(ctx, await sessions.createOrganization(ctx, input));
  }

  @Cost({ credential: true, argon2: true })
  @Mutation(() => AuthPayload, {
    description:
      "Joins an organization with an invitation token and the invited account's password; starts a session there.",
  })
  async acceptInvitation(
    @Arg('input', () => AcceptInvitationInput) input: AcceptInvitationInput,
    @Ctx() ctx: Context,
  ): Promise<AuthPayload> {
    return authPayload(ctx, await sessions.acceptInvitation(ctx, input));
  }
}
