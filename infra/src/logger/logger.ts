import { pino } from 'pino';
import type { DestinationStream, Logger as PinoLogger } from 'pino';
import { prettyStream } from './pretty-stream.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export type Logger = PinoLogger;

export type LoggerOptions = Readonly<{
  level: LogLevel;
  /** The node name, added to every line so logs from several nodes can be merged. */
  node: string;
  /** One short human-readable line per record instead of JSON (development); no extra dependency. */
  pretty?: boolean;
  /** Where lines go; stdout when omitted. Tests pass their own stream. */
  destination?: DestinationStream;
}>;

/**
 * Secrets never reach a log line (STYLE §10): AUTH data, API keys, Authorization headers. Paths are
 * fast-redact paths; `*` matches one level, so each secret is listed at the top level and one level down.
 */
export const REDACTED_PATHS: readonly string[] = [
  'password', '*.password', 'pass', '*.pass',
  'authorization', '*.authorization', 'req.headers.authorization', 'req.headers.cookie', 'headers.authorization',
  'apiKey', '*.apiKey', 'secret', '*.secret', 'token', '*.token',
];

/**
 * The process's root logger: JSON lines with an ISO `time`, a textual `level`, and `node`.
 * Components take children (`log.child({ component: 'smtp' })`) rather than new roots.
 */
export const createLogger = (options: LoggerOptions): Logger =>
  pino(
    {
      level: options.level,
      base: { node: options.node },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
    },
    // Without a destination pino writes synchronously to stdout, so nothing is lost on a crash.
    options.pretty ? prettyStream(options.destination ?? process.stdout) : options.destination,
  );
