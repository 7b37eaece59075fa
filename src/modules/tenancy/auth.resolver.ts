import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { NotFoundError } from '../../graphql/errors';
import { LoginInput } from './auth.input';
import { AuthPayload } from './viewer.type';
import { login } from './session.service';
import { organizationById, userById } from './tenancy.loaders';

@Resolver()
export class AuthResolver {
  @Mutation(() => AuthPayload, { description: 'Signs in with email and password; fails with UNAUTHENTICATED, never saying why.' })
  async login(@Arg('input', () => LoginInput) input: LoginInput, @Ctx() ctx: Context): Promise<AuthPayload> {
    const session = await login(ctx, input);
    const [user, organization] = await Promise.all([
      ctx.loaders.use(userById).load(session.userId),
      ctx.loaders.use(organizationById).load(session.organizationId),
    ]);
    if (!user || !organization) throw new NotFoundError('Account');
    return Object.assign(new AuthPayload(), { accessToken: session.accessToken, expiresAt: session.expiresAt, user, organization });
  }
}
