import { Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { UnauthenticatedError } from '../../graphql/errors';
import { CURRENT, viewerPermissions } from '../access/role.loaders';
import { liveMembershipByUserId, organizationById, userById } from './tenancy.loaders';
import { ViewerInfo } from './viewer.type';
import { Membership } from './membership.type';
import { Organization } from './organization.type';
import { User } from './user.type';

/** Root of the viewer's fields; each one is loaded only when selected. */
class ViewerRoot extends ViewerInfo {
  constructor(readonly userId: string, readonly organizationId: string) {
    super();
  }
}

@Resolver(() => ViewerInfo)
export class ViewerResolver {
  @Query(() => ViewerInfo, { nullable: true, description: 'The signed-in caller, or null without a valid access token.' })
  viewer(@Ctx() ctx: Context): ViewerInfo | null {
    return ctx.viewer ? new ViewerRoot(ctx.viewer.userId, ctx.viewer.organizationId) : null;
  }

  @FieldResolver(() => User)
  async user(@Root() root: ViewerRoot, @Ctx() ctx: Context): Promise<User> {
    return orSignedOut(await ctx.loaders.use(userById).load(root.userId));
  }

  @FieldResolver(() => Organization)
  async organization(@Root() root: ViewerRoot, @Ctx() ctx: Context): Promise<Organization> {
    return orSignedOut(await ctx.loaders.use(organizationById).load(root.organizationId));
  }

  @FieldResolver(() => Membership)
  async membership(@Root() root: ViewerRoot, @Ctx() ctx: Context): Promise<Membership> {
    return orSignedOut(await ctx.loaders.use(liveMembershipByUserId).load(root.userId));
  }

  @FieldResolver(() => [String])
  permissions(@Ctx() ctx: Context): Promise<string[]> {
    return ctx.loaders.use(viewerPermissions).load(CURRENT);
  }
}

/** A token whose user, organization or membership is no longer visible is not a session. */
function orSignedOut<T>(value: T | null): T {
  if (value === null) throw new UnauthenticatedError('Your session is no longer valid; sign in again');
  return value;
}
