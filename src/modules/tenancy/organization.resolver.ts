import { Arg, Args, Authorized, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { ConnectionArgs } from '../../graphql/connection';
import { NotFoundError } from '../../graphql/errors';
import { MemberFilter } from './membership.input';
import { Membership, MembershipConnection } from './membership.type';
import { Organization } from './organization.type';
import { membersOfOrganization, organizationById } from './tenancy.loaders';

@Resolver(() => Organization)
export class OrganizationResolver {
  @Authorized()
  @Query(() => Organization, { description: 'The organization the caller is signed in to.' })
  async organization(@Ctx() ctx: Context): Promise<Organization> {
    const organization = await ctx.loaders.use(organizationById).load(ctx.viewer!.organizationId);
    if (!organization) throw new NotFoundError('Organization');
    return organization;
  }

  @Authorized('members:read')
  @FieldResolver(() => MembershipConnection, { description: 'Members, oldest first.' })
  members(
    @Root() organization: Organization,
    @Args() page: ConnectionArgs,
    @Arg('filter', () => MemberFilter, { nullable: true }) filter: MemberFilter | null,
    @Ctx() ctx: Context,
  ): Promise<MembershipConnection> {
    return membersOfOrganization.load(
      ctx.loaders,
      { parentId: organization.id, args: { first: page.first, after: page.after, last: page.last, before: page.before, filter } },
      new MembershipConnection(),
      Membership.fromRow,
    );
  }
}
