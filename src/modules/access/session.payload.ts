import type { Context } from '../../graphql/context';
import { NotFoundError } from '../../errors';
import { organizationById, userById } from '../tenancy/tenancy.loaders';
import { AuthPayload } from './session.type';
import type { IssuedSession } from './session.service';

/** The AuthPayload of a session just issued (read through RLS as that session). */
export async function authPayload(ctx: Context, issued: IssuedSession): Promise<AuthPayload> {
  const [user, organization] = await Promise.all([
    ctx.loaders.use(userById).load(issued.userId),
    issued.organizationId ? ctx.loaders.use(organizationById).load(issued.organizationId) : null,
  ]);
  if (!user || (issued.organizationId && !organization)) throw new NotFoundError('Account');
  const { accessToken, expiresAt, refreshToken, refreshTokenExpiresAt } = issued;
  return Object.assign(new AuthPayload(), {
    accessToken,
    expiresAt,
    refreshToken,
    refreshTokenExpiresAt,
    user,
    organization,
  });
}
