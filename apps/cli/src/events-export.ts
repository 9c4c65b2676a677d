import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import type { EventStore, GlobalPosition, RecordedEvent, StreamName } from '@elemta/domain';
import type { ElemtaConfig } from '@elemta/infra/config';
import { commaList, isoTime, parseOptions, UsageError, withUsage } from './cli-args.js';
import { stderrLogger, withStores } from './open-stores.js';

export const exportUsage = 'Usage: elemta events export [--stream <name>] [--from <ISO time>] [--to <ISO time>] [--types A,B] [--out <file>]';

const PAGE = 1000;

type ExportArgs = Readonly<{ stream?: string; from: number | null; to: number | null; types?: string[]; out?: string }>;

const parseExportArgs = (argv: readonly string[]): ExportArgs => {
  const { values } = parseOptions(argv, {
    stream: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, types: { type: 'string' }, out: { type: 'string' },
  });
  const from = isoTime('from', values.from);
  const to = isoTime('to', values.to);
  if (from !== null && to !== null && from >= to) throw new UsageError('--from must be before --to');
  if (values.stream !== undefined && !/^[A-Za-z0-9]+-\S+$/.test(values.stream)) throw new UsageError('--stream must be a stream name such as message-<id>');
  const types = commaList('types', values.types);
  return { from, to, ...(values.stream !== undefined ? { stream: values.stream } : {}), ...(types ? { types } : {}), ...(values.out !== undefined ? { out: values.out } : {}) };
};

/** One NDJSON line: the event with its place in the log and its hash-chain links. */
export const exportLine = (e: RecordedEvent): string => {
  const m = e.metadata;
  return `${JSON.stringify({
    position: m.position, stream: m.stream, version: m.version, type: e.type, schemaVersion: e.schemaVersion,
    recordedAt: m.recordedAt, eventId: m.eventId, data: e.data ?? null,
    metadata: { correlationId: m.correlationId, causationId: m.causationId, actor: m.actor, node: m.node, prevHash: m.prevHash, hash: m.hash },
  })}\n`;
};

/** Every event in global order, one page at a time (memory stays bounded by one page). */
async function* allEvents(store: EventStore, types: readonly string[] | undefined): AsyncGenerator<RecordedEvent> {
  let after: GlobalPosition | null = null;
  for (;;) {
    const page = await store.readAll({ after, limit: PAGE, ...(types ? { types } : {}) });
    yield* page;
    const last = page.at(-1);
    if (!last || page.length < PAGE) return;
    after = last.metadata.position;
  }
}

const write = async (out: Writable, line: string): Promise<void> => {
  if (!out.write(line)) await once(out, 'drain');
};

/**
 * `elemta events export`: NDJSON of one stream (stream order, events as stored) or of the whole log (global order,
 * read in pages of 1000), optionally limited to a time range (`--from` inclusive, `--to` exclusive, on recordedAt)
 * and event types. Writes to stdout, or to `--out`; the count goes to stderr.
 */
export const eventsExportCommand = (config: ElemtaConfig, argv: readonly string[]): Promise<number> =>
  withUsage(exportUsage, async () => {
    const args = parseExportArgs(argv);
    const log = stderrLogger(config);
    const out: Writable = args.out ? createWriteStream(args.out, { flags: 'w', mode: 0o600 }) : process.stdout;
    const keep = (e: RecordedEvent): boolean => {
      const at = Date.parse(e.metadata.recordedAt);
      return (args.from === null || at >= args.from) && (args.to === null || at < args.to)
        && (!args.types || args.types.includes(e.type));
    };
    const count = await withStores(config, log, { attach: true }, async ({ store }) => {
      const events = args.stream ? await store.readStreamRaw(args.stream as StreamName) : allEvents(store, args.types);
      let n = 0;
      for await (const event of events) {
        if (!keep(event)) continue;
        await write(out, exportLine(event));
        n += 1;
      }
      return n;
    });
    if (args.out) {
      out.end();
      await once(out, 'finish');
    }
    console.error(`exported ${count} events${args.out ? ` to ${args.out}` : ''}`);
    return 0;
  });
