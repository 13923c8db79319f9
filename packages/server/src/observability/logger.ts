import pino, { type Logger } from 'pino';

export type { Logger };

export interface LoggerOptions {
  level: string;
  format: 'json' | 'pretty';
  /** Destination stream; defaults to stdout. */
  destination?: NodeJS.WritableStream;
}

// Keys that must never reach a log line, wherever they appear.
const REDACT = [
  'req.headers.authorization',
  'req.headers.apikey',
  'req.headers["x-service-key"]',
  'req.headers.cookie',
  'password',
  '*.password',
  'jwt_secret',
  'encryption_key',
];

export function createLogger(options: LoggerOptions): Logger {
  const base = { level: options.level, redact: { paths: REDACT, censor: '[redacted]' }, base: { service: 'fluxbase' } };
  if (options.format === 'pretty' && !options.destination) {
    return pino({
      ...base,
      transport: { target: 'pino-pretty', options: { colorize: process.stdout.isTTY, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname,service' } },
    });
  }
  return options.destination ? pino(base, options.destination as pino.DestinationStream) : pino(base);
}
