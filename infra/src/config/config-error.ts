import type { z } from 'zod';

/**
 * Configuration that cannot be used. Raised before any socket opens; the message lists every problem,
 * one per line as `  <key path>: <problem>`. CLIs exit with `exitCode` (EX_CONFIG from sysexits.h).
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly exitCode = 78;
  constructor(message: string, readonly issues: readonly string[] = [], options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Where a key's value came from, when it was the environment: appended so the fix is obvious. */
export type EnvSources = ReadonlyMap<string, string>;

/** One line per problem; unknown keys get a line each, naming the key itself. */
export const issueLines = (error: z.ZodError, envSources: EnvSources): string[] =>
  error.issues.flatMap((issue) => {
    const at = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => `  ${[...at, key].join('.')}: unknown key`);
    }
    const path = at.join('.') || '(top level)';
    const env = envSources.get(path);
    // A bad record key (a domain in delivery.routes.domains) carries the key schema's own message inside.
    const message = issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
    return [`  ${path}: ${message}${env ? ` (from ${env})` : ''}`];
  });
