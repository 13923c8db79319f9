import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

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
    // In-process stream rather than a transport: a transport costs a worker thread (~15 MB).
    return pino(base, pretty({ colorize: process.stdout.isTTY, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname,service', sync: true }));
  }
  return options.destination ? pino(base, options.destination as pino.DestinationStream) : pino(base);
}
