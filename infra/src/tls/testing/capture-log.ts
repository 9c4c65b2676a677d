import { createLogger, type Logger } from '../../logger/logger.js';

export type LogRecord = Readonly<Record<string, unknown> & { level: string; msg: string }>;

/** A real logger whose records land in `records`, parsed. */
export const captureLog = (): { log: Logger; records: LogRecord[]; messages: () => string[] } => {
  const records: LogRecord[] = [];
  const log = createLogger({ level: 'debug', node: 'test', destination: { write: (line: string) => { records.push(JSON.parse(line) as LogRecord); } } });
  return { log, records, messages: () => records.map((r) => `${r.level}: ${r.msg}`) };
};
