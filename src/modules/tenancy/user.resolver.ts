import { Arg, Authorized, Ctx, Field, FieldResolver, Mutation, ObjectType, Resolver, Root } from 'type-graphql';
import { DateTimeResolver, JSONObjectResolver } from 'graphql-scalars';
import type { Context } from '../../graphql/context';
import { UpdateProfileInput } from './user.input';
import { User } from './user.type';
import { updateProfile } from './user.service';

@ObjectType()
export class UpdateProfilePayload {
  @Field(() => User)
  user!: User;
}

@Resolver(() => User)
export class UserResolver {
  @Authorized()
  @Mutation(() => UpdateProfilePayload, { description: "Changes the signed-in user's own profile." })
  async updateProfile(
    @Arg('input', () => UpdateProfileInput) input: UpdateProfileInput,
    @Ctx() ctx: Context,
  ): Promise<UpdateProfilePayload> {
    return Object.assign(new UpdateProfilePayload(), { user: await updateProfile(ctx, input) });
  }

  @FieldResolver(() => JSONObjectResolver, {
    nullable: true,
    description: 'Only for the user themselves; null for anyone else.',
  })
  notificationPreferences(@Root() user: User, @Ctx() ctx: Context): Record<string, unknown> | null {
    return selfOnly(ctx, user, user.notificationPreferences);
  }

  @FieldResolver(() => Boolean, {
    nullable: true,
    description: 'Whether a phone number is on file (it is never returned); only for the user themselves.',
  })
  hasPhoneNumber(@Root() user: User, @Ctx() ctx: Context): boolean | null {
    return selfOnly(ctx, user, user.phoneNumberCiphertext !== null);
  }

  @FieldResolver(() => DateTimeResolver, {
    nullable: true,
    description: 'The last sign-in to any organization; only for the user themselves (see Membership.lastLoginAt).',
  })
  lastLoginAt(@Root() user: User, @Ctx() ctx: Context): Date | null {
    return selfOnly(ctx, user, user.lastLoginAt);
  }
}

/** A SELF_ONLY_FIELDS value: shown to the user it belongs to, null for anyone else (other members, API keys). */
function selfOnly<T>(ctx: Context, user: User, value: T): T | null {
  return ctx.viewer?.userId === user.id ? value : null;
}
