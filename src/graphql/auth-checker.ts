import type { AuthChecker } from 'type-graphql';
import type { Context } from './context';
import { ForbiddenError, UnauthenticatedError } from './errors';
import { permissionsOfRole } from '../auth/permissions';
import { liveMembershipByUserId } from '../modules/tenancy/tenancy.loaders';

/**
 * `@Authorized()` needs a signed-in viewer; `@Authorized('members:read')` also needs that
 * permission in the viewer's membership of the current organization. RLS still isolates
 * tenants underneath whatever this decides.
 */
export const authChecker: AuthChecker<Context> = async ({ context }, permissions) => {
  if (!context.viewer) throw new UnauthenticatedError();
  if (permissions.length === 0) return true;
  const membership = await context.loaders.use(liveMembershipByUserId).load(context.viewer.userId);
  const granted = new Set(membership ? permissionsOfRole(membership.role) : []);
  if (!permissions.every((p) => granted.has(p))) throw new ForbiddenError();
  return true;
};
