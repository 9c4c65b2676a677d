import {
  decideGreylist, type GreylistClientRecord, type GreylistDecision, type GreylistRecord, type GreylistSettings, type GreylistTriplet,
} from '@elemta/domain';
import type pg from 'pg';
import type { Migration } from './migrations.js';
import { withTransaction } from './pool.js';

export const greylistMigrations: readonly Migration[] = [{
  id: 'greylist-001',
  sql: `CREATE TABLE greylist_triplets (
    client_network text NOT NULL,
    sender text NOT NULL,
    recipient text NOT NULL,
    first_seen timestamptz NOT NULL,
    last_seen timestamptz NOT NULL,
    passed_count integer NOT NULL DEFAULT 0,
    PRIMARY KEY (client_network, sender, recipient)
  );
  CREATE INDEX greylist_triplets_last_seen ON greylist_triplets (last_seen);
  CREATE TABLE greylist_clients (
    client_network text PRIMARY KEY,
    passed_triplets integer NOT NULL,
    last_seen timestamptz NOT NULL
  );`,
}];

const LOCK_CLASS = 0x67726579; // 'grey': advisory locks of greylist triplets, apart from other users' keys

type StateRow = {
  now_ms: number;
  first_seen_ms: number | null; last_seen_ms: number | null; passed_count: number | null;
  passed_triplets: number | null; client_last_seen_ms: number | null;
};

const READ = `
SELECT extract(epoch FROM now())::float8 * 1000 AS now_ms,
       extract(epoch FROM t.first_seen)::float8 * 1000 AS first_seen_ms,
       extract(epoch FROM t.last_seen)::float8 * 1000 AS last_seen_ms,
       t.passed_count,
       c.passed_triplets,
       extract(epoch FROM c.last_seen)::float8 * 1000 AS client_last_seen_ms
FROM (SELECT 1) AS one
LEFT JOIN greylist_triplets t ON t.client_network = $1 AND t.sender = $2 AND t.recipient = $3
LEFT JOIN greylist_clients c ON c.client_network = $1`;

const toState = (row: StateRow): { triplet: GreylistRecord | null; client: GreylistClientRecord | null; nowMs: number } => ({
  nowMs: row.now_ms,
  triplet: row.first_seen_ms === null ? null
    : { firstSeenMs: row.first_seen_ms, lastSeenMs: row.last_seen_ms!, passedCount: row.passed_count! },
  client: row.passed_triplets === null ? null : { passedTriplets: row.passed_triplets, lastSeenMs: row.client_last_seen_ms! },
});

/**
 * Greylisting state shared by every node through PostgreSQL. Each check reads the triplet and its client network and
 * lets `decideGreylist` (@elemta/domain) decide on the database clock. Most checks write nothing (a whitelisted client,
 * a fresh passed triplet, a retry too early): those cost one query. Only a decision that writes is taken again, in a
 * transaction under an advisory lock on the triplet, on a fresh read, so that concurrent attempts of one triplet on
 * several nodes are decided one after the other. Client counts grow by increments, so passes of different triplets of
 * one network never overwrite each other.
 */
export class GreylistStore {
  constructor(private readonly pool: pg.Pool) {}

  async check(triplet: GreylistTriplet, settings: GreylistSettings): Promise<GreylistDecision> {
    const key = [triplet.clientNetwork, triplet.sender, triplet.recipient];
    const { rows } = await this.pool.query<StateRow>(READ, key);
    const unlocked = decideGreylist(toState(rows[0]!), settings);
    if (!writes(unlocked)) return unlocked;
    return withTransaction(this.pool, async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_CLASS, JSON.stringify(key)]);
      const { rows: locked } = await tx.query<StateRow>(READ, key);
      const decision = decideGreylist(toState(locked[0]!), settings);
      if (decision.triplet) await saveTriplet(tx, key, decision.triplet);
      if (decision.client !== 'none') await saveClient(tx, triplet.clientNetwork, decision.client === 'newTriplet' ? 1 : 0);
      return decision;
    });
  }

  /**
   * Forgets what no decision reads any more: unpassed triplets older than `expireSeconds`, and passed triplets and
   * client networks unseen for longer than `autoWhitelistSeconds`.
   */
  async prune(settings: Pick<GreylistSettings, 'expireSeconds' | 'autoWhitelistSeconds'>): Promise<number> {
    const triplets = await this.pool.query(
      `DELETE FROM greylist_triplets
       WHERE (passed_count = 0 AND first_seen < now() - make_interval(secs => $1))
          OR (passed_count > 0 AND last_seen < now() - make_interval(secs => $2))`,
      [settings.expireSeconds, settings.autoWhitelistSeconds]);
    const clients = await this.pool.query(
      'DELETE FROM greylist_clients WHERE last_seen < now() - make_interval(secs => $1)', [settings.autoWhitelistSeconds]);
    return (triplets.rowCount ?? 0) + (clients.rowCount ?? 0);
  }
}

const writes = (decision: GreylistDecision): boolean => decision.triplet !== null || decision.client !== 'none';

const saveTriplet = (tx: pg.PoolClient, key: string[], record: GreylistRecord) => tx.query(
  `INSERT INTO greylist_triplets AS t (client_network, sender, recipient, first_seen, last_seen, passed_count)
   VALUES ($1, $2, $3, to_timestamp($4::float8 / 1000), to_timestamp($5::float8 / 1000), $6)
   ON CONFLICT (client_network, sender, recipient) DO UPDATE
   SET first_seen = excluded.first_seen, last_seen = excluded.last_seen, passed_count = excluded.passed_count`,
  [...key, record.firstSeenMs, record.lastSeenMs, record.passedCount]);

const saveClient = (tx: pg.PoolClient, network: string, newTriplets: number) => tx.query(
  `INSERT INTO greylist_clients AS c (client_network, passed_triplets, last_seen) VALUES ($1, $2, now())
   ON CONFLICT (client_network) DO UPDATE SET passed_triplets = c.passed_triplets + $2, last_seen = now()`,
  [network, newTriplets]);
