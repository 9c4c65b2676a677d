import type { DestinationStream } from 'pino';

type Writable = { write(chunk: string): unknown };

const SKIP = new Set(['time', 'level', 'msg', 'node', 'pid', 'hostname']);

const formatValue = (value: unknown): string =>
  typeof value === 'string' ? (/[\s="]/.test(value) ? JSON.stringify(value) : value) : JSON.stringify(value);

/** Turns one JSON record into `HH:MM:SS.mmm LEVEL msg key=value …`; a line that is not JSON passes through. */
export const formatPretty = (line: string): string => {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const time = typeof record['time'] === 'string' ? record['time'].slice(11, 23) : '';
  const level = String(record['level'] ?? '').toUpperCase().padEnd(5);
  const fields = Object.entries(record)
    .filter(([key]) => !SKIP.has(key))
    .map(([key, value]) => `${key}=${formatValue(value)}`);
  return [time, level, String(record['msg'] ?? ''), ...fields].filter((part) => part !== '').join(' ') + '\n';
};

/** A development destination; pino-pretty is not a dependency, and this is all we need from it. */
export const prettyStream = (out: Writable): DestinationStream => ({
  write: (chunk: string) => {
    for (const line of chunk.split('\n')) if (line) out.write(formatPretty(line));
  },
});
