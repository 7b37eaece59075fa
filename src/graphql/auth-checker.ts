import { Extensions, type AuthChecker } from 'type-graphql';
import type { GraphQLResolveInfo } from 'graphql';
import type { Context } from './context';
import { ForbiddenError, UnauthenticatedError } from '../errors';
import { CURRENT, viewerPermissions } from './permissions';

/**
 * `@Authorized()` needs a signed-in user (not an API key); `@Authorized('members:read')` needs that
 * permission in the viewer's membership of the current organization (built-in role plus custom
 * role, `app.current_permissions()`). RLS still isolates
 * tenants underneath whatever this decides.
 */
/**
 * For decisions inside a resolver (an argument that needs more than the field does), with the
 * same permission source and errors as `@Authorized`.
 *
 * @example
 * if (args.includeDeleted) await assertPermission(ctx, 'tasks:delete');
 */
export async function assertPermission(context: Context, permission: string): Promise<void> {
  if (!context.viewer && !context.apiKey) throw new UnauthenticatedError();
  if (context.viewer && context.viewer.organizationId === null) throw new ForbiddenError(NO_ORGANIZATION, permission);
  const granted = await context.loaders.use(viewerPermissions).load(CURRENT);
  if (!granted.includes(permission)) throw ForbiddenError.missing(permission);
}

/**
 * `includeDeleted: true` on a soft-deleted list or by-id field: allowed only to holders of the
 * permission that deletes such rows (FORBIDDEN otherwise).
 *
 * @example
 * const includeDeleted = await allowDeleted(ctx, args.includeDeleted, 'tasks:delete');
 */
export async function allowDeleted(
  context: Context,
  includeDeleted: boolean | null | undefined,
  permission: string,
): Promise<boolean> {
  if (includeDeleted) await assertPermission(context, permission);
  return !!includeDeleted;
}

/** Whether the caller holds a permission (no error). */
export async function hasPermission(context: Context, permission: string): Promise<boolean> {
  if (!context.viewer && !context.apiKey) return false;
  return (await context.loaders.use(viewerPermissions).load(CURRENT)).includes(permission);
}

/** What a session without an organization is told by everything that needs one. */
export const NO_ORGANIZATION =
  'You are signed in without an organization: create one (createOrganization) or switch to one of yours (viewer.organizations)';

/**
 * Marks a plain `@Authorized()` field that also runs in a session without an organization (an
 * account that has none yet): the field's `extensions.withoutOrganization`, read back from the
 * schema by the auth checker. Everything else refuses such a session with FORBIDDEN.
 *
 * @example
 * @WithoutOrganization()
 * @Authorized()
 * @Mutation(() => AuthPayload)
 * createOrganization(...) {}
 */
export const WithoutOrganization = (): MethodDecorator & PropertyDecorator => Extensions({ withoutOrganization: true });

const runsWithoutOrganization = (info: GraphQLResolveInfo): boolean =>
  info.parentType.getFields()[info.fieldName]?.extensions?.withoutOrganization === true;

export const authChecker: AuthChecker<Context> = async ({ context, info }, permissions) => {
  if (context.viewer && context.viewer.organizationId === null) {
    if (permissions.length === 0 && runsWithoutOrganization(info)) return true;
    throw new ForbiddenError(NO_ORGANIZATION, permissions[0]);
  }
  if (permissions.length === 0) {
    // Plain @Authorized(): something a signed-in person does for themselves; no API key.
    if (context.viewer) return true;
    throw context.apiKey ? new ForbiddenError('API keys cannot do this') : new UnauthenticatedError();
  }
  if (!context.viewer && !context.apiKey) throw new UnauthenticatedError();
  const granted = new Set(await context.loaders.use(viewerPermissions).load(CURRENT));
  const missing = permissions.find((p) => !granted.has(p));
  if (missing) throw ForbiddenError.missing(missing);
  return true;
};
