import type { AuthChecker } from 'type-graphql';
import type { Context } from './context';
import { ForbiddenError, UnauthenticatedError } from './errors';
import { viewerPermissions } from '../modules/access/role.loaders';

/**
 * `@Authorized()` needs a signed-in viewer; `@Authorized('members:read')` also needs that
 * permission in the viewer's membership of the current organization (built-in role plus custom
 * role, `app.current_permissions()`). RLS still isolates
 * tenants underneath whatever this decides.
 */
export const authChecker: AuthChecker<Context> = async ({ context }, permissions) => {
  if (!context.viewer) throw new UnauthenticatedError();
  if (permissions.length === 0) return true;
  const granted = new Set(await context.loaders.use(viewerPermissions).load(context.viewer.userId));
  if (!permissions.every((p) => granted.has(p))) throw new ForbiddenError();
  return true;
};
