import pino, { type Logger } from 'pino';

/** What a logged error keeps. */
export interface SerializedError {
  type: string;
  message: string;
  code?: string;
  stack?: string;
  cause?: SerializedError;
}

/**
 * An error as message, code and stack only (and its cause, the same way). pino's standard
 * serializer copies every enumerable property: a `pg` error or a rejected pool close carried
 * whole client objects (connection parameters, buffers, the pool) into the shutdown log.
 *
 * @example
 * serializeError(Object.assign(new Error('Connection terminated'), { code: '57P01', client }));
 * // { type: 'Error', message: 'Connection terminated', code: '57P01', stack: 'Error: ...' }
 */
export function serializeError(error: unknown, depth = 0): SerializedError {
  if (!(error instanceof Error))
    return { type: typeof error, message: typeof error === 'string' ? error : 'a non-Error value was thrown' };
  const code = (error as { code?: unknown }).code;
  const serialized: SerializedError = { type: error.name, message: error.message };
  if (typeof code === 'string' || typeof code === 'number') serialized.code = String(code);
  if (error.stack) serialized.stack = error.stack;
  if (error.cause !== undefined && depth < 3) serialized.cause = serializeError(error.cause, depth + 1);
  return serialized;
}

/** JSON logs; credentials never reach them, whatever a caller logs by mistake. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      serializers: { err: serializeError, error: serializeError },
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'headers.authorization',
          '*.password',
          '*.accessToken',
          '*.token',
          'password',
          'accessToken',
          'token',
          // Request logs carry none of these; a caller logging an object by mistake must not leak them.
          '*.refreshToken',
          'refreshToken',
          '*.newPassword',
          'newPassword',
          '*.secret',
          'secret',
          '*.authorization',
          'authorization',
          '*.variables',
          'variables',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
