import pino, { type Logger } from 'pino';

/** JSON logs; credentials never reach them, whatever a caller logs by mistake. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    redact: {
      paths: [
        'req.headers.authorization', 'req.headers.cookie', 'headers.authorization',
        '*.password', '*.accessToken', '*.token', 'password', 'accessToken', 'token',
      ],
      censor: '[redacted]',
    },
  });
}
