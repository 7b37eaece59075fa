import { Arg, Authorized, Ctx, Field, FieldResolver, Mutation, ObjectType, Resolver, Root } from 'type-graphql';
import { JSONObjectResolver } from 'graphql-scalars';
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
  async updateProfile(@Arg('input', () => UpdateProfileInput) input: UpdateProfileInput, @Ctx() ctx: Context): Promise<UpdateProfilePayload> {
    return Object.assign(new UpdateProfilePayload(), { user: await updateProfile(ctx, input) });
  }

  @FieldResolver(() => JSONObjectResolver, { nullable: true, description: 'Only for the user themselves; null for anyone else.' })
  notificationPreferences(@Root() user: User, @Ctx() ctx: Context): Record<string, unknown> | null {
    return ctx.viewer?.userId === user.id ? user.notificationPreferences : null;
  }

  @FieldResolver(() => Boolean, { nullable: true, description: 'Whether a phone number is on file (it is never returned); only for the user themselves.' })
  hasPhoneNumber(@Root() user: User, @Ctx() ctx: Context): boolean | null {
    return ctx.viewer?.userId === user.id ? user.phoneNumberCiphertext !== null : null;
  }
}
