/**
 * The errors a service throws on purpose, and how to recognise a database that went away: plain
 * TypeScript with no import, so src/db, the modules and the framework can all use them.
 * src/graphql/errors.ts turns them into what a GraphQL client sees (formatError).
 */

/**
 * Every `extensions.code` the server answers with, and who emits it: the one list that
 * docs/api.md's error table must match (test/docs.test.ts compares them) and that every code
 * written in src/ must come from (the same test scans for codes outside it).
 */
export const ERROR_CODES = {
  UNAUTHENTICATED: 'no valid token or key (401 when the header is refused), or a failed sign-in',
  FORBIDDEN: 'signed in, but a permission is missing (`extensions.permission`)',
  NOT_FOUND: 'no such thing in the organization',
  BAD_USER_INPUT: 'a value is not valid (`extensions.field`)',
  CONFLICT: 'a duplicate',
  TIMEOUT: 'a statement or a lock wait took too long',
  QUERY_TOO_COMPLEX: 'over a query limit, before anything runs',
  RATE_LIMITED: 'over a rate limit (429)',
  SERVICE_UNAVAILABLE: 'the database cannot be reached just now',
  COMMIT_OUTCOME_UNKNOWN: 'the connection was lost during COMMIT (503)',
  SHUTTING_DOWN: 'the server is on its way down (503)',
  INTERNAL_SERVER_ERROR: 'our fault, masked',
  BAD_REQUEST: 'the HTTP request itself is wrong',
  PAYLOAD_TOO_LARGE: "a file over the organization's plan limit (413)",
  GRAPHQL_PARSE_FAILED: "the document does not parse (Apollo's)",
  GRAPHQL_VALIDATION_FAILED: "the document is not valid against the schema (Apollo's)",
  OPERATION_RESOLUTION_FAILURE: "several operations and no operationName (Apollo's)",
  PERSISTED_QUERY_NOT_FOUND: "an automatic persisted query the server does not hold (Apollo's)",
  PERSISTED_QUERY_ID_REQUIRED: 'a document where only registered operations may run',
  PERSISTED_QUERY_NOT_IN_LIST: 'no registered operation has that id',
} as const;

/** The `extensions.code` values clients rely on (docs/api.md, "Errors"). */
export type ErrorCode = keyof typeof ERROR_CODES;

/** A setting is missing or not valid: the process says so and stops (no stack). */
export class ConfigError extends Error {}

/**
 * Base class of every error a service throws on purpose. Its message is shown to the client,
 * so it must never contain SQL, secrets or another tenant's data.
 *
 * @example
 * export class SlugTakenError extends DomainError {
 *   constructor() { super('CONFLICT', 'That slug is already taken', { field: 'slug' }); }
 * }
 */
export class DomainError extends Error {
  constructor(
    readonly code: Exclude<ErrorCode, 'INTERNAL_SERVER_ERROR'>,
    message: string,
    readonly details: { field?: string; permission?: string } = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class UnauthenticatedError extends DomainError {
  constructor(message = 'You must be signed in to do this') {
    super('UNAUTHENTICATED', message);
  }
}

/** Names the missing permission in `extensions.permission` when one permission would allow it. */
export class ForbiddenError extends DomainError {
  constructor(message = 'You are not allowed to do this', permission?: string) {
    super('FORBIDDEN', message, permission ? { permission } : {});
  }

  /**
   * The refusal of a caller who lacks `permission`.
   *
   * @example
   * throw ForbiddenError.missing('tasks:delete'); // extensions { code: 'FORBIDDEN', permission: 'tasks:delete' }
   */
  static missing(permission: string, message = `This needs the ${permission} permission`): ForbiddenError {
    return new ForbiddenError(message, permission);
  }
}

/** `field` names the input that pointed at nothing (`uploadId`), when one did. */
export class NotFoundError extends DomainError {
  constructor(what: string, field?: string) {
    super('NOT_FOUND', `${what} was not found`, field ? { field } : {});
  }
}

export class BadUserInputError extends DomainError {
  constructor(field: string, message: string) {
    super('BAD_USER_INPUT', message, { field });
  }
}

export class ConflictError extends DomainError {
  constructor(message: string, field?: string) {
    super('CONFLICT', message, field ? { field } : {});
  }
}

/**
 * Turns a violation of one of the named constraints into a client error naming the field:
 * unique (23505) and exclusion (23P01) violations become CONFLICT; foreign-key (23503) and check
 * (23514) violations, including the named rules that triggers raise, become BAD_USER_INPUT.
 * Anything else is rethrown unchanged (and mapped generically by `formatError` in src/graphql/errors.ts). Constraint
 * names and values never reach the client, only the field and the message given here.
 *
 * @example
 * await db.insertInto('projects').values(values).execute().catch(onViolation({
 *   projects_name_key: ['name', 'This organization already has a project with that name'],
 *   projects_owner_is_member: ['ownerId', 'The owner must be a member of the organization'],
 * }));
 */
export function onViolation(constraints: Record<string, [field: string, message: string]>) {
  return (error: unknown): never => {
    const named =
      isPostgresError(error) && VIOLATIONS.has(error.code)
        ? constraints[(error as { constraint?: string }).constraint ?? '']
        : undefined;
    if (!named) throw error;
    const [field, message] = named;
    const code = (error as { code: string }).code;
    throw code === '23505' || code === '23P01'
      ? new ConflictError(message, field)
      : new BadUserInputError(field, message);
  };
}
const VIOLATIONS = new Set(['23505', '23P01', '23503', '23514']);

/** The answer for a database that cannot be reached (formatError, unavailableOrRethrow). */
export const DATABASE_UNAVAILABLE = {
  code: 'SERVICE_UNAVAILABLE',
  message: 'The database is unavailable just now; retry shortly',
};

/** Node's and pg's own errors for a database that cannot be reached or went away mid-request. */
const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
const CONNECTION_ERROR_MESSAGES =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error)/;

/** By shape, not `instanceof`: Node's network errors may come from another realm (jest's vm). */
export function isConnectionError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || 'severity' in error) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return (
    (typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)) ||
    (typeof message === 'string' && CONNECTION_ERROR_MESSAGES.test(message))
  );
}

/**
 * The connection was lost while COMMIT was on its way: the write may or may not have been saved.
 * Not a DomainError: it replaces the whole response (transaction-plugin.ts), 503 with its code.
 */
export class CommitOutcomeUnknownError extends Error {
  static readonly code = 'COMMIT_OUTCOME_UNKNOWN';
  static readonly message =
    'The connection to the database was lost while saving: the change may or may not have been saved. Read it back before retrying';

  constructor(cause: unknown) {
    super(CommitOutcomeUnknownError.message, { cause });
    this.name = 'CommitOutcomeUnknownError';
  }
}

/**
 * A file over the size limit of the organization's plan, found while it streams in (POST
 * /uploads answers 413): `limitBytes` says how much was allowed.
 */
export class PayloadTooLargeError extends DomainError {
  constructor(
    readonly limitBytes: number,
    message = `The file is larger than the limit of ${formatBytes(limitBytes)}`,
  ) {
    super('PAYLOAD_TOO_LARGE', message);
  }
}

/**
 * Bytes for people, in binary units as the plan limits are set: 10485760 is "10 MB".
 *
 * @example
 * formatBytes(1024 ** 3); // '1 GB'
 */
export function formatBytes(bytes: number): string {
  for (const [unit, size] of [
    ['GB', 1024 ** 3],
    ['MB', 1024 ** 2],
    ['KB', 1024],
  ] as const) {
    if (bytes >= size) return `${Number((bytes / size).toFixed(1))} ${unit}`;
  }
  return `${bytes} bytes`;
}

/** The database cannot be reached just now (thrown where a connection is taken). */
export class ServiceUnavailableError extends DomainError {
  constructor() {
    super('SERVICE_UNAVAILABLE', DATABASE_UNAVAILABLE.message);
  }
}

/** An error raised by PostgreSQL (pg gives it a `severity` and a SQLSTATE `code`). */
export function isPostgresError(error: unknown): error is { code: string; severity: string } {
  return (
    typeof error === 'object' &&
    error !== null &&
    'severity' in error &&
    typeof (error as { code?: unknown }).code === 'string'
  );
}
