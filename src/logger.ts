import pino, { type Logger } from 'pino';

/** JSON logs; credentials never reach them, whatever a caller logs by mistake. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({
    level,
    redact: {
      paths: [
        'req.headers.authorization', 'req.headers.cookie', 'headers.authorization',
        '*.password', '*.accessToken', '*.token', 'password', 'accessToken', 'token',
        // Request logs carry none of these; a caller logging an object by mistake must not leak them.
        '*.refreshToken', 'refreshToken', '*.newPassword', 'newPassword', '*.secret', 'secret',
        '*.authorization', 'authorization', '*.variables', 'variables',
      ],
      censor: '[redacted]',
    },
  }, destination);
}
