/** A rejection by the domain, with a stable `code` that edges translate (SMTP 5xx, GraphQL error result). */
export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

/** An append whose expected version did not match the stream's version. Adapters map their own conflicts onto it. */
export class WrongExpectedVersionError extends Error {
  override readonly name = 'WrongExpectedVersionError';
  constructor(readonly stream: string, readonly expected: number | 'any', readonly actual: number | null) {
    super(`wrong expected version for ${stream}: expected ${expected}, actual ${actual ?? 'unknown'}`);
  }
}

/** The event store could not be reached or failed; the cause is kept. Edges answer with a temporary failure. */
export class EventStoreUnavailable extends Error {
  override readonly name = 'EventStoreUnavailable';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export const assertNever = (value: never): never => {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
};
