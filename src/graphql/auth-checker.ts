import type { AuthChecker } from 'type-graphql';
import type { Context } from './context';
import { ForbiddenError, UnauthenticatedError } from './errors';
import { CURRENT, viewerPermissions } from '../modules/access/role.loaders';

/**
 * `@Authorized()` needs a signed-in user (not an API key); `@Authorized('members:read')` needs that
 * permission in the viewer's membership of the current organization (built-in role plus custom
 * role, `app.current_permissions()`). RLS still isolates
 * tenants underneath whatever this decides.
 */
export const authChecker: AuthChecker<Context> = async ({ context }, permissions) => {
  if (permissions.length === 0) {
    // Plain @Authorized(): something a signed-in person does for themselves; no API key.
    if (context.viewer) return true;
    throw context.apiKey ? new ForbiddenError('API keys cannot do this') : new UnauthenticatedError();
  }
  if (!context.viewer && !context.apiKey) throw new UnauthenticatedError();
  const granted = new Set(await context.loaders.use(viewerPermissions).load(CURRENT));
  if (!permissions.every((p) => granted.has(p))) throw new ForbiddenError();
  return true;
};
