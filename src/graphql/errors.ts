import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import type { ValidationError } from 'class-validator';
import { ArgumentValidationError } from 'type-graphql';
import type { Context } from './context';
import {
  DATABASE_UNAVAILABLE,
  DomainError,
  isConnectionError,
  isPostgresError,
  ServiceUnavailableError,
} from '../errors';

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
