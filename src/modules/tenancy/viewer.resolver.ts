import { Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { UnauthenticatedError } from '../../errors';
import { CURRENT, viewerPermissions } from '../../graphql/permissions';
import { liveMembershipByUserId, organizationById, userById } from './tenancy.loaders';
import { ViewerInfo, ViewerOrganization } from './viewer.type';
import { currentUserOrganizations } from './tenancy.repository';
import { Membership } from './membership.type';
import { Organization } from './organization.type';
import { User } from './user.type';

/** Root of the viewer's fields; each one is loaded only when selected. */
class ViewerRoot extends ViewerInfo {
  constructor(
    readonly userId: string,
    readonly organizationId: string | null,
  ) {
    super();
  }
}

@Resolver(() => ViewerInfo)
export class ViewerResolver {
  @Query(() => ViewerInfo, {
    nullable: true,
    description: 'The signed-in caller, or null without a valid access token.',
  })
  viewer(@Ctx() ctx: Context): ViewerInfo | null {
    return ctx.viewer ? new ViewerRoot(ctx.viewer.userId, ctx.viewer.organizationId) : null;
  }

  @FieldResolver(() => User)
  async user(@Root() root: ViewerRoot, @Ctx() ctx: Context): Promise<User> {
    return orSignedOut(await ctx.loaders.use(userById).load(root.userId));
  }

  @FieldResolver(() => Organization, { nullable: true })
  async organization(@Root() root: ViewerRoot, @Ctx() ctx: Context): Promise<Organization | null> {
    if (root.organizationId === null) return null;
    return orSignedOut(await ctx.loaders.use(organizationById).load(root.organizationId));
  }

  @FieldResolver(() => Membership, { nullable: true })
  async membership(@Root() root: ViewerRoot, @Ctx() ctx: Context): Promise<Membership | null> {
    if (root.organizationId === null) return null;
    return orSignedOut(await ctx.loaders.use(liveMembershipByUserId).load(root.userId));
  }

  @FieldResolver(() => [String])
  async permissions(@Root() root: ViewerRoot, @Ctx() ctx: Context): Promise<string[]> {
    if (root.organizationId === null) return [];
    return ctx.loaders.use(viewerPermissions).load(CURRENT);
  }

  @FieldResolver(() => [ViewerOrganization])
  async organizations(@Root() root: ViewerRoot, @Ctx() ctx: Context): Promise<ViewerOrganization[]> {
    const rows = await currentUserOrganizations(await ctx.db.get());
    return rows.map((row) =>
      Object.assign(new ViewerOrganization(), {
        id: row.organization_id,
        name: row.name,
        slug: row.slug,
        isActive: row.organization_is_active,
        membershipId: row.membership_id,
        role: row.role,
        status: row.status,
        joinedAt: row.joined_at,
        maySignIn: row.may_sign_in,
        current: row.organization_id === root.organizationId,
      }),
    );
  }
}

/** A token whose user, organization or membership is no longer visible is not a session. */
function orSignedOut<T>(value: T | null): T {
  if (value === null) throw new UnauthenticatedError('Your session is no longer valid; sign in again');
  return value;
}
