import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import type { ValidationError } from 'class-validator';
import { ArgumentValidationError } from 'type-graphql';
import type { Context } from './context';

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
  GRAPHQL_PARSE_FAILED: "the document does not parse (Apollo's)",
  GRAPHQL_VALIDATION_FAILED: "the document is not valid against the schema (Apollo's)",
  OPERATION_RESOLUTION_FAILURE: "several operations and no operationName (Apollo's)",
  PERSISTED_QUERY_NOT_FOUND: "an automatic persisted query the server does not hold (Apollo's)",
  PERSISTED_QUERY_ID_REQUIRED: 'a document where only registered operations may run',
  PERSISTED_QUERY_NOT_IN_LIST: 'no registered operation has that id',
} as const;

/** The `extensions.code` values clients rely on (docs/api.md, "Errors"). */
export type ErrorCode = keyof typeof ERROR_CODES;

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

/**
 * A 401 answer (RFC 6750): UNAUTHENTICATED with `WWW-Authenticate: Bearer`, and
 * `error="invalid_token"` when a token or key was sent but is not (or no longer) valid.
 *
 * @example
 * throw unauthorized('Invalid or expired access token', 'invalid_token');
 */
export function unauthorized(message: string, error?: 'invalid_token'): GraphQLError {
  const challenge = error ? `Bearer error="${error}"` : 'Bearer';
  return new GraphQLError(message, {
    extensions: {
      code: 'UNAUTHENTICATED',
      http: { status: 401, headers: new HeaderMap([['www-authenticate', challenge]]) },
    },
  });
}

export class NotFoundError extends DomainError {
  constructor(what: string) {
    super('NOT_FOUND', `${what} was not found`);
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

/** The query limits of `src/graphql/limits.ts`. */
export type QueryLimitName = 'depth' | 'aliases' | 'directives' | 'tokens' | 'cost';

const TOO_COMPLEX: Record<QueryLimitName, string> = {
  depth: 'The query is nested too deeply',
  aliases: 'The query uses too many aliases',
  directives: 'The query uses too many directives',
  tokens: 'The query document is too long',
  cost: 'The query asks for too much at once (lower `first`/`last` or split it)',
};

/**
 * The refusal of an operation over a query limit: QUERY_TOO_COMPLEX, HTTP 400, with the limit's
 * name and numbers (never the document).
 *
 * @example
 * throw queryTooComplex('depth', 10, 12); // extensions { code: 'QUERY_TOO_COMPLEX', limit: 'depth', max: 10, found: 12 }
 */
export function queryTooComplex(limit: QueryLimitName, max: number, found?: number): GraphQLError {
  const numbers = found === undefined ? ` (at most ${max})` : ` (${found}; at most ${max})`;
  return new GraphQLError(TOO_COMPLEX[limit] + numbers, {
    extensions: {
      code: 'QUERY_TOO_COMPLEX',
      limit,
      max,
      ...(found === undefined ? {} : { found }),
      http: { status: 400 },
    },
  });
}

/** graphql-js's own message when `parse(..., { maxTokens })` gives up (16.x spells it "more that"). */
const TOKEN_LIMIT_MESSAGE = /^Syntax Error: Document contains more tha[nt] (\d+) tokens\. Parsing aborted\.$/;

/**
 * The refusal of a request over a rate limit: RATE_LIMITED, HTTP 429, `Retry-After` in seconds.
 *
 * @example
 * throw rateLimited(3); // 429, Retry-After: 3
 */
export function rateLimited(retryAfterSeconds: number): GraphQLError {
  return new GraphQLError(`Too many requests; retry in ${retryAfterSeconds} s`, {
    extensions: {
      code: 'RATE_LIMITED',
      retryAfter: retryAfterSeconds,
      http: { status: 429, headers: new HeaderMap([['retry-after', String(retryAfterSeconds)]]) },
    },
  });
}

/**
 * The refusal of an operation with more than one field that checks a credential (login, signUp,
 * changePassword, acceptInvitation, refreshSession...): QUERY_TOO_COMPLEX, HTTP 400, before it runs.
 *
 * @example
 * throw oneCredentialCheck(['a: login', 'b: login']); // extensions { code: 'QUERY_TOO_COMPLEX', limit: 'credentialChecks', max: 1, found: 2 }
 */
export function oneCredentialCheck(fields: string[]): GraphQLError {
  return new GraphQLError(
    `An operation may check credentials only once; this one does in ${fields.length} fields (${fields.join(', ')}): send them as separate requests`,
    {
      extensions: {
        code: 'QUERY_TOO_COMPLEX',
        limit: 'credentialChecks',
        max: 1,
        found: fields.length,
        http: { status: 400 },
      },
    },
  );
}

/**
 * The refusal of an operation whose `runsFirst` field (refreshSession) comes after another field:
 * BAD_REQUEST, HTTP 400, before it runs. The fields before it could hold, until the request
 * commits, the rows its own short transaction needs.
 *
 * @example
 * throw mustRunFirst('refreshSession');
 */
export function mustRunFirst(field: string): GraphQLError {
  return new GraphQLError(
    `${field} must be the first field of its operation (the fields before it may hold the session rows it needs): send it first or in a request of its own`,
    {
      extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
    },
  );
}

/**
 * Turns a violation of one of the named constraints into a client error naming the field:
 * unique (23505) and exclusion (23P01) violations become CONFLICT; foreign-key (23503) and check
 * (23514) violations, including the named rules that triggers raise, become BAD_USER_INPUT.
 * Anything else is rethrown unchanged (and mapped generically by `formatError`). Constraint
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

/** Postgres SQLSTATEs we turn into client errors; anything else is internal. */
const DATABASE_UNAVAILABLE = {
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

/** The database cannot be reached just now (thrown where a connection is taken). */
export class ServiceUnavailableError extends DomainError {
  constructor() {
    super('SERVICE_UNAVAILABLE', DATABASE_UNAVAILABLE.message);
  }
}

function fromPostgres(error: {
  code?: unknown;
  constraint?: unknown;
}): (GraphQLFormattedError['extensions'] & { message: string }) | undefined {
  switch (error.code) {
    case '23505':
      return { code: 'CONFLICT', message: 'A record with these values already exists' };
    case '23503':
      return { code: 'BAD_USER_INPUT', message: 'A referenced record does not exist' };
    case '23514': // check violation
    case '23502': // not null
    case '22001': // string too long
    case '22P02': // invalid text representation
    case '22021': // invalid byte sequence (e.g. a NUL character)
    case '22P05': // untranslatable character
    case '22003': // numeric out of range
    case '22007': // invalid datetime format
    case '22008': // datetime out of range
    case '22023': // invalid parameter value
      return { code: 'BAD_USER_INPUT', message: 'A value is not valid' };
    case '23P01':
      return { code: 'CONFLICT', message: 'This conflicts with an existing record' };
    case '42501': // insufficient privilege, including "new row violates row-level security policy"
      return { code: 'FORBIDDEN', message: 'You are not allowed to do this' };
    case '57014': // query_canceled: the transaction's statement_timeout (STATEMENT_TIMEOUT_MS)
      return { code: 'TIMEOUT', message: 'The request took too long and was canceled; ask for less at once' };
    case '55P03': // lock_not_available: standalone work's lock_timeout (a row held by a request transaction)
      return { code: 'TIMEOUT', message: 'The request waited too long for another one to finish; try again' };
    case '57P01': // admin_shutdown (a restart, pg_terminate_backend)
    case '57P02': // crash_shutdown
    case '57P03': // cannot_connect_now (starting up, shutting down)
    case '53300': // too_many_connections
      return DATABASE_UNAVAILABLE;
    default:
      return typeof error.code === 'string' && error.code.startsWith('08') ? DATABASE_UNAVAILABLE : undefined; // connection exceptions
  }
}

const aboutTheRequestOf = (formatted: GraphQLFormattedError): boolean => formatted.path === undefined;

function isPostgresError(error: unknown): error is { code: string; severity: string } {
  return (
    typeof error === 'object' &&
    error !== null &&
    'severity' in error &&
    typeof (error as { code?: unknown }).code === 'string'
  );
}

function validationFields(errors: ValidationError[], prefix = ''): { field: string; message: string }[] {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...validationFields(e.children ?? [], field)];
  });
}

/**
 * What the client may see of an error, or null when it must be masked. Domain errors keep their
 * code and message; Postgres errors get a code and a generic message (no constraint names, no
 * SQL, no values); GraphQL's own errors about the request (parse, validation, variables,
 * authentication) pass through without a stack; everything else is internal.
 */
function exposed(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError | null {
  const original = unwrapResolverError(error);
  const base = { locations: formatted.locations, path: formatted.path };

  if (original instanceof DomainError) {
    return { ...base, message: original.message, extensions: { code: original.code, ...original.details } };
  }
  if (original instanceof ArgumentValidationError) {
    const fields = validationFields(original.extensions.validationErrors);
    const first = fields[0];
    return {
      ...base,
      message: first ? `Invalid ${first.field}: ${first.message}` : 'Invalid input',
      extensions: { code: 'BAD_USER_INPUT', field: first?.field, fields },
    };
  }
  // graphql-js's parser stops at the token limit (QUERY_TOO_COMPLEX like the other query limits).
  const maxTokens =
    original instanceof GraphQLError && aboutTheRequestOf(formatted)
      ? TOKEN_LIMIT_MESSAGE.exec(original.message)?.[1]
      : undefined;
  if (maxTokens !== undefined) {
    const { message, extensions } = queryTooComplex('tokens', Number(maxTokens));
    const { http: _http, ...shown } = extensions;
    return { message, extensions: shown };
  }
  if (isConnectionError(original))
    return { ...base, message: DATABASE_UNAVAILABLE.message, extensions: { code: DATABASE_UNAVAILABLE.code } };
  if (isPostgresError(original)) {
    const mapped = fromPostgres(original);
    if (!mapped) return null;
    const { message, ...extensions } = mapped;
    return { ...base, message, extensions };
  }
  const code = formatted.extensions?.code;
  const known = typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR';
  // Errors about the request itself have no path; from a resolver, only GraphQL errors thrown
  // with a code on purpose are shown.
  const aboutTheRequest = formatted.path === undefined;
  if (known && (aboutTheRequest || (original instanceof GraphQLError && original.extensions?.code === code))) {
    const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, extensions };
  }
  // Apollo's own errors about a malformed request come without a code, only a 4xx status
  // ("provided sha does not match query", "Unsupported persisted query version").
  const status = (original as GraphQLError | undefined)?.extensions?.http as { status?: number } | undefined;
  if (
    aboutTheRequest &&
    original instanceof GraphQLError &&
    !original.extensions.code &&
    status?.status &&
    status.status >= 400 &&
    status.status < 500
  ) {
    return { message: formatted.message, locations: formatted.locations, extensions: { code: 'BAD_REQUEST' } };
  }
  return null;
}

/** How much of a caller's value a message may quote, and how long a message may be. */
const MAX_ECHOED_LENGTH = 64;
const MAX_MESSAGE_LENGTH = 500;

/**
 * A message with the caller's values cut short: graphql-js quotes a bad variable's value and the
 * scalar's own message quotes it again (a 1 MB invalid UUID made a 2 MB answer), and names from
 * the request (operation, fields, variables) are the caller's too. Each quoted text keeps its
 * first 64 characters (what follows it, such as the field a value was found at, stays); then the
 * message keeps at most 500. One pass, whatever the input.
 *
 * @example
 * capEchoedValues(`Variable "$id" got invalid value "${'x'.repeat(10_000)}" at "id"`) // the first 64 x, '…" at "id"'
 */
export function capEchoedValues(message: string): string {
  let out = '';
  let quoted = -1; // characters of the current quoted text so far; -1 outside quotes
  for (let i = 0; i < message.length && out.length <= MAX_MESSAGE_LENGTH; i++) {
    const char = message[i]!;
    if (quoted < 0) {
      out += char;
      if (char === '"') quoted = 0;
      continue;
    }
    if (char === '"') {
      out += quoted > MAX_ECHOED_LENGTH ? '…"' : '"';
      quoted = -1;
      continue;
    }
    const escaped = char === '\\' && i + 1 < message.length;
    const text = escaped ? char + message[++i] : char;
    if (quoted < MAX_ECHOED_LENGTH) out += text;
    quoted++;
  }
  if (quoted > MAX_ECHOED_LENGTH) out += '…';
  return out.length > MAX_MESSAGE_LENGTH ? `${out.slice(0, MAX_MESSAGE_LENGTH)}…` : out;
}

/**
 * The one mapping from thrown errors to what the client sees (Apollo's `formatError`);
 * masked errors become `Internal server error` with code INTERNAL_SERVER_ERROR. No message
 * quotes more than a little of a caller's value (capEchoedValues).
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const shown = exposed(formatted, error);
  if (shown) return { ...shown, message: capEchoedValues(shown.message) };
  return {
    locations: formatted.locations,
    path: formatted.path,
    message: 'Internal server error',
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  };
}

/** Whether `formatError` masks this error (so it must be logged for operators to see it). */
export function isMaskedError(error: GraphQLError): boolean {
  return exposed({ message: error.message, path: error.path, extensions: error.extensions }, error) === null;
}

function isUnavailable(error: GraphQLError): boolean {
  if (error.extensions?.code === DATABASE_UNAVAILABLE.code) return true;
  const original = unwrapResolverError(error);
  return (
    original instanceof ServiceUnavailableError ||
    isConnectionError(original) ||
    (isPostgresError(original) && fromPostgres(original) === DATABASE_UNAVAILABLE)
  );
}

/**
 * What a plugin throws for a database failure before execution (Apollo would answer 500 with
 * whatever it wraps): a database that cannot be reached becomes SERVICE_UNAVAILABLE with 503;
 * anything else is rethrown as it is.
 */
export function unavailableOrRethrow(error: unknown): never {
  const unavailable =
    error instanceof ServiceUnavailableError ||
    isConnectionError(error) ||
    (isPostgresError(error) && fromPostgres(error) === DATABASE_UNAVAILABLE);
  if (!unavailable) throw error;
  throw new GraphQLError(DATABASE_UNAVAILABLE.message, {
    originalError: error as Error,
    extensions: { code: DATABASE_UNAVAILABLE.code, http: { status: 503 } },
  });
}

/** Logs every error the client will only see masked, with the request id of its request. */
export const errorLoggingPlugin: ApolloServerPlugin<Context> = {
  async requestDidStart() {
    return {
      async didEncounterErrors({ errors, contextValue }) {
        for (const error of errors) {
          if (isMaskedError(error))
            contextValue.log.error({ err: unwrapResolverError(error), path: error.path }, 'internal error');
          else if (isUnavailable(error))
            contextValue.log.warn({ err: unwrapResolverError(error), path: error.path }, 'database unavailable');
        }
      },
    };
  },
};
