import type { GreylistSettings, GreylistTriplet } from '@elemta/domain';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../testing/test-postgres.js';
import { GreylistStore, greylistMigrations } from './greylist.js';
import { runMigrations } from './migrations.js';
import { createPool, type Pool } from './pool.js';

const pools: Pool[] = [];
afterAll(async () => { await Promise.all(pools.map((p) => p.end())); });

const settings: GreylistSettings = { delaySeconds: 300, expireSeconds: 4 * 3600, autoWhitelistSeconds: 35 * 86_400, whitelistClientAfter: 2 };
const triplet = (recipient = 'bob@example.net', clientNetwork = '192.0.2.0/24'): GreylistTriplet =>
  ({ clientNetwork, sender: 'alice@example.org', recipient });

/** Two nodes: separate pools on one database. */
const nodes = async () => {
  const url = await createTestDatabase(inject('postgresUrl'), 'greylist');
  const a = createPool(url);
  const b = createPool(url);
  pools.push(a, b);
  await runMigrations(a, greylistMigrations);
  return { pool: a, one: new GreylistStore(a), two: new GreylistStore(b) };
};

/** Moves a triplet's history into the past, as if `seconds` had gone by on the database clock. */
const age = (pool: Pool, seconds: number) => pool.query(
  `UPDATE greylist_triplets SET first_seen = first_seen - make_interval(secs => $1), last_seen = last_seen - make_interval(secs => $1)`,
  [seconds]);

describe('GreylistStore', () => {
  it('defers a new triplet, defers an early retry on another node, passes a retry after the delay', async () => {
    const { pool, one, two } = await nodes();
    expect((await one.check(triplet(), settings)).verdict).toEqual({ kind: 'defer', retryInSeconds: 300, why: 'first-seen' });
    await age(pool, 100);
    const early = await two.check(triplet(), settings);
    expect(early.verdict).toMatchObject({ kind: 'defer', why: 'too-early' });
    expect(early.verdict.kind === 'defer' && early.verdict.retryInSeconds).toBeGreaterThanOrEqual(199);
    await age(pool, 250);
    expect((await two.check(triplet(), settings)).verdict).toEqual({ kind: 'pass', why: 'retried' });
    expect((await one.check(triplet(), settings)).verdict).toEqual({ kind: 'pass', why: 'whitelisted-triplet' });
    // the whitelisted pass right after the retry wrote nothing: its last-seen time is fresh
    const { rows } = await pool.query('SELECT client_network, sender, recipient, passed_count FROM greylist_triplets');
    expect(rows).toEqual([{ client_network: '192.0.2.0/24', sender: 'alice@example.org', recipient: 'bob@example.net', passed_count: 1 }]);
  });

  it('reads without a transaction when the decision writes nothing, and locks only to write', async () => {
    const { pool, one } = await nodes();
    // withTransaction checks a client out with connect(); pool.query passes connect a callback
    let transactions = 0;
    const connect = pool.connect.bind(pool) as (...args: unknown[]) => unknown;
    pool.connect = ((...args: unknown[]) => {
      if (args.length === 0) transactions += 1;
      return connect(...args);
    }) as typeof pool.connect;
    try {
      await one.check(triplet(), settings); // first seen: written under the lock
      expect(transactions).toBe(1);
      const early = await one.check(triplet(), settings); // too early: nothing to write
      expect(early.verdict).toMatchObject({ kind: 'defer', why: 'too-early' });
      expect(transactions).toBe(1);
    } finally {
      pool.connect = connect as typeof pool.connect;
    }
  });

  it('decides concurrent first attempts one after the other: one first-seen, the others too early', async () => {
    const { one, two } = await nodes();
    const decisions = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? one : two).check(triplet(), settings)));
    expect(decisions.filter((d) => d.verdict.kind === 'defer' && d.verdict.why === 'first-seen')).toHaveLength(1);
    expect(decisions.filter((d) => d.verdict.kind === 'defer' && d.verdict.why === 'too-early')).toHaveLength(11);
  });

  it('whitelists a client network after enough passed triplets, for every node', async () => {
    const { pool, one, two } = await nodes();
    for (const recipient of ['a@example.net', 'b@example.net']) await one.check(triplet(recipient), settings);
    await age(pool, 600);
    for (const recipient of ['a@example.net', 'b@example.net']) await one.check(triplet(recipient), settings);
    expect((await two.check(triplet('new@example.net'), settings)).verdict).toEqual({ kind: 'pass', why: 'whitelisted-client' });
    expect((await two.check(triplet('new@example.net', '198.51.100.0/24'), settings)).verdict).toMatchObject({ kind: 'defer' });
    const { rows } = await pool.query('SELECT client_network, passed_triplets FROM greylist_clients');
    expect(rows).toEqual([{ client_network: '192.0.2.0/24', passed_triplets: 2 }]);
  });

  it('starts over for a triplet retried only after it expired', async () => {
    const { pool, one } = await nodes();
    await one.check(triplet(), settings);
    await age(pool, settings.expireSeconds + 60);
    expect((await one.check(triplet(), settings)).verdict).toEqual({ kind: 'defer', retryInSeconds: 300, why: 'first-seen' });
  });

  it('prunes expired triplets and lapsed whitelists', async () => {
    const { pool, one } = await nodes();
    await pool.query(`INSERT INTO greylist_triplets VALUES
      ('n', 'old-unpassed', 'r', now() - interval '5 hours', now() - interval '5 hours', 0),
      ('n', 'fresh-unpassed', 'r', now() - interval '1 hour', now() - interval '1 hour', 0),
      ('n', 'old-passed', 'r', now() - interval '40 days', now() - interval '36 days', 3),
      ('n', 'fresh-passed', 'r', now() - interval '40 days', now() - interval '1 day', 3)`);
    await pool.query(`INSERT INTO greylist_clients VALUES ('old', 5, now() - interval '36 days'), ('fresh', 5, now())`);
    expect(await one.prune(settings)).toBe(3);
    const { rows } = await pool.query<{ sender: string }>('SELECT sender FROM greylist_triplets ORDER BY sender');
    expect(rows.map((r) => r.sender)).toEqual(['fresh-passed', 'fresh-unpassed']);
  });
});
