import { Arg, Authorized, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { NotFoundError } from '../../errors';
import {
  ChangeMemberRoleInput,
  ChangeMembershipStatusInput,
  InviteMemberInput,
  RemoveMemberInput,
  RevokeInvitationInput,
  TransferMemberInput,
} from './membership.input';
import { Invitation, InvitationPayload, Membership, MembershipPayload, TransferMemberPayload } from './membership.type';
import * as members from './membership.service';
import { User } from './user.type';
import { userById } from './tenancy.loaders';
import { Cost } from '../../graphql/field-costs';

const membershipPayload = (row: Parameters<typeof Membership.fromRow>[0]) =>
  Object.assign(new MembershipPayload(), { membership: Membership.fromRow(row) });

@Resolver(() => Membership)
export class MembershipResolver {
  @FieldResolver(() => User)
  async user(@Root() membership: Membership, @Ctx() ctx: Context): Promise<User> {
    const user = await ctx.loaders.use(userById).load(membership.userId);
    if (!user) throw new NotFoundError('User');
    return user;
  }

  @Authorized('members:invite')
  @Cost({ mailTo: 'input.email' })
  @Mutation(() => InvitationPayload, {
    description: 'Invites someone by email with a role (not above your own); the token is mailed.',
  })
  async inviteMember(
    @Arg('input', () => InviteMemberInput) input: InviteMemberInput,
    @Ctx() ctx: Context,
  ): Promise<InvitationPayload> {
    return Object.assign(new InvitationPayload(), {
      invitation: Invitation.fromRow(await members.inviteMember(ctx, input)),
    });
  }

  @Authorized('members:invite')
  @Mutation(() => InvitationPayload, {
    description: 'Revokes a pending invitation (not of a role above your own); its token stops working.',
  })
  async revokeInvitation(
    @Arg('input', () => RevokeInvitationInput) input: RevokeInvitationInput,
    @Ctx() ctx: Context,
  ): Promise<InvitationPayload> {
    return Object.assign(new InvitationPayload(), {
      invitation: Invitation.fromRow(await members.revokeInvitation(ctx, input.invitationId)),
    });
  }

  @Authorized('members:update')
  @Mutation(() => MembershipPayload, {
    description:
      'Moves a membership through its lifecycle (see docs/security.md); losing platform access ends its sessions.',
  })
  async changeMembershipStatus(
    @Arg('input', () => ChangeMembershipStatusInput) input: ChangeMembershipStatusInput,
    @Ctx() ctx: Context,
  ): Promise<MembershipPayload> {
    return membershipPayload(await members.changeMembershipStatus(ctx, input.membershipId, input.status));
  }

  @Authorized('members:update')
  @Mutation(() => MembershipPayload, {
    description: 'Gives a member a higher built-in role (e.g. member to officer), not above your own.',
  })
  async promoteMember(
    @Arg('input', () => ChangeMemberRoleInput) input: ChangeMemberRoleInput,
    @Ctx() ctx: Context,
  ): Promise<MembershipPayload> {
    return membershipPayload(await members.changeMemberRole(ctx, input.membershipId, input.role, 'up'));
  }

  @Authorized('members:update')
  @Mutation(() => MembershipPayload, {
    description: 'Gives a member a lower built-in role; the last owner cannot be demoted.',
  })
  async demoteMember(
    @Arg('input', () => ChangeMemberRoleInput) input: ChangeMemberRoleInput,
    @Ctx() ctx: Context,
  ): Promise<MembershipPayload> {
    return membershipPayload(await members.changeMemberRole(ctx, input.membershipId, input.role, 'down'));
  }

  @Authorized('members:remove')
  @Mutation(() => MembershipPayload, {
    description: 'Ends a membership (kept as inactive history) and its sessions; the last owner cannot be removed.',
  })
  async removeMember(
    @Arg('input', () => RemoveMemberInput) input: RemoveMemberInput,
    @Ctx() ctx: Context,
  ): Promise<MembershipPayload> {
    return membershipPayload(await members.removeMember(ctx, input.membershipId));
  }

  @Authorized('members:remove')
  @Mutation(() => TransferMemberPayload, {
    description: 'Ends the membership here as inactive and creates one in the other organization, in one transaction.',
  })
  async transferMember(
    @Arg('input', () => TransferMemberInput) input: TransferMemberInput,
    @Ctx() ctx: Context,
  ): Promise<TransferMemberPayload> {
    const { ended, newMembershipId } = await members.transferMember(ctx, input.membershipId, input.toOrganizationId);
    return Object.assign(new TransferMemberPayload(), { endedMembership: Membership.fromRow(ended), newMembershipId });
  }
}
