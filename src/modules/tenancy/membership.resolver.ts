import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { NotFoundError } from '../../graphql/errors';
import { Membership } from './membership.type';
import { User } from './user.type';
import { userById } from './tenancy.loaders';

@Resolver(() => Membership)
export class MembershipResolver {
  @FieldResolver(() => User)
  async user(@Root() membership: Membership, @Ctx() ctx: Context): Promise<User> {
    const user = await ctx.loaders.use(userById).load(membership.userId);
    if (!user) throw new NotFoundError('User');
    return user;
  }
}
