import type { Role } from './builder.js';

/** An API key as administrators see it: never the key itself or its hash. Times are ISO-8601. */
export type ApiKeyInfo = Readonly<{
  id: string;
  name: string;
  role: Role;
  createdAt: string;
  /** Updated at most once a minute per key. */
  lastUsedAt: string | null;
  revokedAt: string | null;
}>;

/**
 * API keys, implemented by apps/mta over the `api_keys` table; every change is appended to `admin-apiKeys` with
 * `actor` as the event's actor.
 */
export interface ApiKeyAdmin {
  /** Creates a key; `key` (`elemta_<id>_<secret>`) exists only in this answer, only its hash is stored. */
  create(input: Readonly<{ name: string; role: Role; actor: string }>): Promise<{ key: string; apiKey: ApiKeyInfo }>;
  /**
   * Revokes a key at once (the next request with it gets 401). Revoking a revoked key changes nothing and returns it.
   * Throws `DomainError`: `API_KEY_NOT_FOUND`, or `LAST_ADMIN_KEY` when it is the last active admin key.
   */
  revoke(input: Readonly<{ id: string; reason: string; actor: string }>): Promise<ApiKeyInfo>;
  /** Every key, revoked ones included, oldest first. */
  list(): Promise<ApiKeyInfo[]>;
}

export type ProjectionReplay = Readonly<{ projection: string; events: number; startedAt: string; finishedAt: string }>;

/** Rebuilds of the node's views from event zero while it runs. */
export interface ProjectionAdmin {
  /** The projections this node runs (the names `replay` takes). */
  names(): readonly string[];
  /**
   * Empties the projection's views and rebuilds them from event zero; resolves once they have caught up with the log.
   * Throws `DomainError`: `UNKNOWN_PROJECTION`, or `REPLAY_IN_PROGRESS` while another rebuild of it runs on this node.
   */
  replay(input: Readonly<{ name: string; actor: string }>): Promise<ProjectionReplay>;
}
