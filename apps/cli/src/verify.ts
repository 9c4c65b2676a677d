import type { GlobalPosition, StreamName } from '@elemta/domain';
import type { ElemtaConfig } from '@elemta/infra/config';
import { verifyChain, type ChainBreak } from '@elemta/infra/event-store';
import { parseOptions, withUsage } from './cli-args.js';
import { stderrLogger, withStores, type Stores } from './open-stores.js';

export const verifyUsage = 'Usage: elemta verify [--stream <name>]';

/** Streams listed and read per round: bounded memory, and one statement reads a whole group (the store batches them). */
const GROUP = 100;

type Break = Readonly<{ stream: string } & ChainBreak>;
type Tally = { streams: number; events: number };

/** The chain of one stream read raw from version 1; a stream whose first event is not version 1 lost its head. */
const verifyOne = async (stores: Stores, stream: StreamName, tally: Tally): Promise<Break | null> => {
  const events = await stores.store.readStreamRaw(stream);
  tally.streams += 1;
  const first = events[0];
  if (first && first.metadata.version !== 1) {
    return { stream, version: first.metadata.version, reason: 'stream does not start at version 1', expected: '1', actual: String(first.metadata.version) };
  }
  const verdict = verifyChain(events);
  tally.events += verdict.checked;
  return verdict.ok ? null : { stream, ...verdict.brokenAt };
};

/** Stream names page by page: from PostgreSQL directly; from EventStoreDB by walking $all (one name per stream in memory). */
async function* streamNames(stores: Stores): AsyncGenerator<StreamName[]> {
  if (stores.postgresStore) {
    let after = '';
    for (;;) {
      const page = await stores.postgresStore.listStreams({ after, limit: GROUP });
      if (page.length > 0) yield page;
      if (page.length < GROUP) return;
      after = page.at(-1)!;
    }
  }
  const seen = new Set<StreamName>();
  let after: GlobalPosition | null = null;
  for (;;) {
    const page = await stores.store.readAll({ after, limit: 1000 });
    for (const e of page) seen.add(e.metadata.stream);
    if (page.length < 1000) break;
    after = page.at(-1)!.metadata.position;
  }
  const all = [...seen].sort();
  for (let i = 0; i < all.length; i += GROUP) yield all.slice(i, i + GROUP);
}

const verifyAll = async (stores: Stores, tally: Tally): Promise<Break | null> => {
  for await (const group of streamNames(stores)) {
    const verdicts = await Promise.all(group.map((s) => verifyOne(stores, s, tally)));
    const broken = verdicts.find((v) => v !== null);
    if (broken) return broken;
  }
  return null;
};

/**
 * `elemta verify`: recomputes the hash chain of one stream or of every stream (in name order, reading events as
 * stored, never upcast) and reports the first broken link. Exit 0 when every chain holds, 1 at the first break,
 * or when `--stream` names a stream without events.
 */
export const verifyCommand = (config: ElemtaConfig, argv: readonly string[]): Promise<number> =>
  withUsage(verifyUsage, async () => {
    const { values } = parseOptions(argv, { stream: { type: 'string' } });
    const tally: Tally = { streams: 0, events: 0 };
    return withStores(config, stderrLogger(config), { attach: true }, async (stores) => {
      const stream = values.stream as StreamName | undefined;
      const broken = stream ? await verifyOne(stores, stream, tally) : await verifyAll(stores, tally);
      if (stream && tally.events === 0 && !broken) {
        console.error(`stream ${stream} has no events`);
        return 1;
      }
      if (!broken) {
        console.log(`ok: ${tally.streams} streams, ${tally.events} events verified`);
        return 0;
      }
      console.log([
        `broken: stream ${broken.stream}, version ${broken.version}: ${broken.reason}`,
        `  expected: ${broken.expected}`,
        `  actual:   ${broken.actual}`,
      ].join('\n'));
      return 1;
    });
  });
