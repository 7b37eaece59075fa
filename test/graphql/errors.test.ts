import { GraphQLError } from 'graphql';
import { ArgumentValidationError } from 'type-graphql';
import { formatError, isMaskedError } from '../../src/graphql/errors';
import { ConflictError } from '../../src/errors';

/** What graphql-js hands Apollo when a resolver throws `original`. */
function fromResolver(original: Error): GraphQLError {
  return new GraphQLError(original.message, { path: ['organization', 'members'], originalError: original });
}

describe('error mapping', () => {
  const format = formatError;
  const formatted = (error: GraphQLError) =>
    format(
      {
        message: error.message,
        path: error.path,
        extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['at secret.ts:1'] },
      },
      error,
    );

  it('masks unknown errors (and says so, so they get logged)', () => {
    const boom = fromResolver(new Error('select password_hash from users where ... failed at /srv/app.ts:12'));
    const result = formatted(boom);
    expect(result).toEqual({
      message: 'Internal server error',
      path: ['organization', 'members'],
      locations: undefined,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
    expect(isMaskedError(boom)).toBe(true);
  });

  it('keeps domain errors with their code and field', () => {
    const result = formatted(fromResolver(new ConflictError('That slug is already taken', 'slug')));
    expect(result).toMatchObject({
      message: 'That slug is already taken',
      extensions: { code: 'CONFLICT', field: 'slug' },
    });
    expect(isMaskedError(fromResolver(new ConflictError('x')))).toBe(false);
  });

  it('maps Postgres violations to codes without constraint names or values', () => {
    const pgError = (code: string) =>
      Object.assign(
        new Error('duplicate key value violates unique constraint "users_email_key" Key (lower(email))=(x@y.test)'),
        {
          code,
          severity: 'ERROR',
          constraint: 'users_email_key',
          detail: 'Key (lower(email))=(x@y.test) already exists.',
        },
      );
    const cases: [string, string][] = [
      ['23505', 'CONFLICT'],
      ['23503', 'BAD_USER_INPUT'],
      ['23514', 'BAD_USER_INPUT'],
      ['23P01', 'CONFLICT'],
      ['42501', 'FORBIDDEN'],
      ['57014', 'TIMEOUT'],
      ['57P01', 'SERVICE_UNAVAILABLE'],
      ['57P03', 'SERVICE_UNAVAILABLE'],
      ['08006', 'SERVICE_UNAVAILABLE'],
      ['53300', 'SERVICE_UNAVAILABLE'],
    ];
    for (const [sqlstate, code] of cases) {
      const result = formatted(fromResolver(pgError(sqlstate)));
      expect(result.extensions).toEqual({ code });
      expect(JSON.stringify(result)).not.toMatch(/users_email_key|x@y\.test/);
    }
    // Any other database error is internal.
    expect(formatted(fromResolver(pgError('XX000'))).extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
  });

  it('answers a database that cannot be reached or went away with SERVICE_UNAVAILABLE, no details', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    for (const error of [
      refused,
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
    ]) {
      const result = formatted(fromResolver(error));
      expect(result).toMatchObject({
        message: 'The database is unavailable just now; retry shortly',
        extensions: { code: 'SERVICE_UNAVAILABLE' },
      });
      expect(JSON.stringify(result)).not.toMatch(/5432|127\.0\.0\.1|ECONNREFUSED/);
      expect(isMaskedError(fromResolver(error))).toBe(false);
    }
    expect(formatted(fromResolver(new Error('something else'))).extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
  });

  it('names every invalid field of an input, without echoing the values', () => {
    const error = new ArgumentValidationError([
      { property: 'email', value: 'secret-value', constraints: { isEmail: 'must be an email address' }, children: [] },
      {
        property: 'address',
        value: {},
        constraints: {},
        children: [{ property: 'zip', value: 'x', constraints: { matches: 'must be 5 digits' }, children: [] }],
      },
    ]);
    const result = formatted(fromResolver(error));
    expect(result.extensions).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'email',
      fields: [
        { field: 'email', message: 'must be an email address' },
        { field: 'address.zip', message: 'must be 5 digits' },
      ],
    });
    expect(JSON.stringify(result)).not.toContain('secret-value');
  });

  it('passes request-level errors through, minus any stack', () => {
    const parse = new GraphQLError('Syntax Error: Expected Name, found <EOF>.');
    const result = format(
      { message: parse.message, extensions: { code: 'GRAPHQL_PARSE_FAILED', stacktrace: ['x'] } },
      parse,
    );
    expect(result).toEqual({ message: parse.message, extensions: { code: 'GRAPHQL_PARSE_FAILED' } });
  });
});
