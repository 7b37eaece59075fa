import { Arg, Authorized, Ctx, Field, Mutation, ObjectType, Resolver } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { NotFoundError } from '../../errors';
import { User } from '../tenancy/user.type';
import { userById } from '../tenancy/tenancy.loaders';
import {
  ChangePasswordInput,
  RequestPasswordResetInput,
  ResetPasswordInput,
  SignUpInput,
  VerifyEmailInput,
} from './account.input';
import * as accounts from './account.service';
import { AuthPayload } from './session.type';
import { authPayload } from './session.payload';
import { Cost } from '../../graphql/field-costs';

@ObjectType()
export class SignUpPayload {
  @Field(() => User)
  user!: User;

  @Field(() => AuthPayload, { nullable: true, description: 'A session in the new organization, when one was created.' })
  session!: AuthPayload | null;
}

@ObjectType({
  description:
    'Acknowledges a request whose outcome is not disclosed (it says the same whether or not the account exists).',
})
export class AcceptedPayload {
  @Field()
  accepted!: boolean;
}

const accepted = () => Object.assign(new AcceptedPayload(), { accepted: true });

@Resolver()
export class AccountResolver {
  @Cost({ credential: true, argon2: true, mailTo: 'input.email' })
  @Mutation(() => SignUpPayload, {
    description: 'Creates an account (and optionally an organization it owns); a verification mail is sent.',
  })
  async signUp(@Arg('input', () => SignUpInput) input: SignUpInput, @Ctx() ctx: Context): Promise<SignUpPayload> {
    const { userId, session } = await accounts.signUp(ctx, input);
    const payload = session ? await authPayload(ctx, session) : null;
    const user = payload?.user ?? (await ctx.loaders.use(userById).load(userId));
    if (!user) throw new NotFoundError('User');
    return Object.assign(new SignUpPayload(), { user, session: payload });
  }

  @Authorized()
  @Cost({ credential: true, argon2: true })
  @Mutation(() => AcceptedPayload, {
    description: "Changes the signed-in user's password and ends their other sessions.",
  })
  async changePassword(
    @Arg('input', () => ChangePasswordInput) input: ChangePasswordInput,
    @Ctx() ctx: Context,
  ): Promise<AcceptedPayload> {
    await accounts.changePassword(ctx, input);
    return accepted();
  }

  @Cost({ mailTo: 'input.email' })
  @Mutation(() => AcceptedPayload, { description: 'Mails a password-reset token if an active account has this email.' })
  async requestPasswordReset(
    @Arg('input', () => RequestPasswordResetInput) input: RequestPasswordResetInput,
    @Ctx() ctx: Context,
  ): Promise<AcceptedPayload> {
    await accounts.requestPasswordReset(ctx, input.email);
    return accepted();
  }

  @Cost({ argon2: true })
  @Mutation(() => AcceptedPayload, {
    description: 'Sets a new password with a reset token; ends every session of the account.',
  })
  async resetPassword(
    @Arg('input', () => ResetPasswordInput) input: ResetPasswordInput,
    @Ctx() ctx: Context,
  ): Promise<AcceptedPayload> {
    await accounts.resetPassword(ctx, input.token, input.newPassword);
    return accepted();
  }

  @Authorized()
  @Cost({ mailTo: 'viewer' })
  @Mutation(() => AcceptedPayload, { description: 'Mails the signed-in user a new email-verification token.' })
  async requestEmailVerification(@Ctx() ctx: Context): Promise<AcceptedPayload> {
    await accounts.requestEmailVerification(ctx);
    return accepted();
  }

  @Mutation(() => AcceptedPayload, { description: "Marks the email address of the token's account as verified." })
  async verifyEmail(
    @Arg('input', () => VerifyEmailInput) input: VerifyEmailInput,
    @Ctx() ctx: Context,
  ): Promise<AcceptedPayload> {
    await accounts.verifyEmail(ctx, input.token);
    return accepted();
  }
}
