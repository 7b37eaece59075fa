import {
  Arg,
  Args,
  Authorized,
  Ctx,
  Field,
  FieldResolver,
  Mutation,
  ObjectType,
  Query,
  Resolver,
  Root,
} from 'type-graphql';
import { UUIDResolver } from 'graphql-scalars';
import { organizationOf, type Context } from '../../graphql/context';
import { ConnectionArgs } from '../../graphql/connection';
import { NotFoundError } from '../../errors';
import { MemberFilter, MemberOrder } from './membership.input';
import { Invitation, InvitationConnection, Membership, MembershipConnection } from './membership.type';
import { Organization } from './organization.type';
import { invitationsOfOrganization, membersOfOrganization, organizationById } from './tenancy.loaders';
import { ReactivateOrganizationInput, UpdateOrganizationInput } from './organization.input';
import * as organizations from './organization.service';
import { WithoutOrganization } from '../../graphql/auth-checker';

@ObjectType()
export class OrganizationPayload {
  @Field(() => Organization)
  organization!: Organization;
}

@ObjectType()
export class ReactivateOrganizationPayload {
  @Field(() => UUIDResolver)
  organizationId!: string;
}

@Resolver(() => Organization)
export class OrganizationResolver {
  @Authorized('organizations:read')
  @Query(() => Organization, {
    nullable: true,
    description: 'The organization the caller is signed in to (or whose API key it uses).',
  })
  async organization(@Ctx() ctx: Context): Promise<Organization> {
    const organization = await ctx.loaders.use(organizationById).load(organizationOf(ctx));
    if (!organization) throw new NotFoundError('Organization');
    return organization;
  }

  @Authorized('organizations:update')
  @Mutation(() => OrganizationPayload, { description: "Changes the current organization's name, contact or settings." })
  async updateOrganization(
    @Arg('input', () => UpdateOrganizationInput) input: UpdateOrganizationInput,
    @Ctx() ctx: Context,
  ): Promise<OrganizationPayload> {
    return this.payload(ctx, await organizations.updateOrganization(ctx, input));
  }

  @Authorized('organizations:deactivate')
  @Mutation(() => OrganizationPayload, {
    description: 'Owners only. A deactivated organization admits nobody (its sessions end) and keeps all its records.',
  })
  async deactivateOrganization(@Ctx() ctx: Context): Promise<OrganizationPayload> {
    return this.payload(ctx, await organizations.deactivateOrganization(ctx));
  }

  @WithoutOrganization()
  @Authorized()
  @Mutation(() => ReactivateOrganizationPayload, {
    description: 'Owners only, from a session in another organization.',
  })
  async reactivateOrganization(
    @Arg('input', () => ReactivateOrganizationInput) input: ReactivateOrganizationInput,
    @Ctx() ctx: Context,
  ): Promise<ReactivateOrganizationPayload> {
    await organizations.reactivateOrganization(ctx, input.organizationId);
    return Object.assign(new ReactivateOrganizationPayload(), { organizationId: input.organizationId });
  }

  private async payload(ctx: Context, id: string): Promise<OrganizationPayload> {
    const row = await (
      await ctx.db.get()
    )
      .selectFrom('organizations')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw new NotFoundError('Organization');
    return Object.assign(new OrganizationPayload(), { organization: Organization.fromRow(row) });
  }

  @Authorized('members:read')
  @FieldResolver(() => MembershipConnection, { nullable: true, description: 'Members, oldest first.' })
  members(
    @Root() organization: Organization,
    @Args() page: ConnectionArgs,
    @Arg('filter', () => MemberFilter, { nullable: true }) filter: MemberFilter | null,
    @Arg('orderBy', () => MemberOrder, { nullable: true, description: 'Default JOINED_AT_ASC.' })
    orderBy: string | null,
    @Ctx() ctx: Context,
  ): Promise<MembershipConnection> {
    return membersOfOrganization.load(
      ctx.loaders,
      {
        parentId: organization.id,
        args: { first: page.first, after: page.after, last: page.last, before: page.before, filter, orderBy },
      },
      new MembershipConnection(),
      Membership.fromRow,
    );
  }

  @Authorized('members:invite')
  @FieldResolver(() => InvitationConnection, {
    nullable: true,
    description: 'Pending invitations (open, unexpired, and still backed by their inviter), oldest first.',
  })
  invitations(
    @Root() organization: Organization,
    @Args() page: ConnectionArgs,
    @Ctx() ctx: Context,
  ): Promise<InvitationConnection> {
    return invitationsOfOrganization.load(
      ctx.loaders,
      { parentId: organization.id, args: { ...page } },
      new InvitationConnection(),
      Invitation.fromRow,
    );
  }
}
