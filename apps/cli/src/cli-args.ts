import { parseArgs, type ParseArgsConfig } from 'node:util';

/** sysexits.h EX_USAGE: the command was used incorrectly. */
export const EX_USAGE = 64;

/** Bad arguments: the command prints its usage line and exits with EX_USAGE. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Strict `node:util` parseArgs: unknown options and missing values become a `UsageError`. */
type Parsed<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: boolean; strict: true }>>;

export const parseOptions = <O extends Options>(argv: readonly string[], options: O, allowPositionals = false): Parsed<O> => {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
};

/** Runs `command`; a `UsageError` prints the message and `usage` on stderr and becomes EX_USAGE. */
export const withUsage = async (usage: string, command: () => Promise<number>): Promise<number> => {
  try {
    return await command();
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`elemta: ${err.message}\n${usage}`);
    return EX_USAGE;
  }
};

/** An ISO-8601 time as epoch milliseconds; throws `UsageError` naming the option otherwise. */
export const isoTime = (option: string, value: string | undefined): number | null => {
  if (value === undefined) return null;
  const ms = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) throw new UsageError(`--${option} must be an ISO-8601 time, e.g. 2025-01-31T12:00:00Z`);
  return ms;
};

/** A comma-separated list of non-empty items, or undefined when the option is absent. */
export const commaList = (option: string, value: string | undefined): string[] | undefined => {
  if (value === undefined) return undefined;
  const items = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (items.length === 0) throw new UsageError(`--${option} needs at least one value`);
  return items;
};
