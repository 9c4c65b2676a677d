import { createServer, type Server, type Socket } from 'node:net';
import { ANY, NO_STREAM, START } from '@eventstore/db-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asGlobalPosition, EventStoreUnavailable } from '@elemta/domain';
import { metadataFor, newSession, probeEvent } from '../event-store/contract-fixtures.js';
import { describeEventStoreContract } from '../event-store/event-store.contract.js';
import { freePort } from '../testing/index.js';
import { EsdbEventStore } from './esdb-event-store.js';
import {
  atOrBefore, decodeEsdbPosition, encodeEsdbPosition, eventTypesRegex, expectedRevisionFor, revisionToVersion,
  versionOfCurrentRevision, versionToRevision,
} from './esdb-translation.js';

const serverUrl = process.env['EVENTSTORE_TEST_URL'];

if (serverUrl) {
  describeEventStoreContract('EventStoreDB', async () => {
    const store = new EsdbEventStore({ connectionString: serverUrl });
    return { store, teardown: () => store.close() };
  });
} else {
  console.warn(
    'EVENTSTORE_TEST_URL is not set: the EventStoreDB contract suite is NOT run in this file. '
    + 'Set it (e.g. EVENTSTORE_TEST_URL="esdb://127.0.0.1:2113?tls=false") to run it against a real server.',
  );
}

describe('EsdbEventStore translation', () => {
  it('maps versions onto revisions, expected versions onto expected revisions, and positions both ways', () => {
    expect(versionToRevision(1)).toBe(0n);
    expect(revisionToVersion(41n)).toBe(42);
    expect(expectedRevisionFor(0)).toBe(NO_STREAM);
    expect(expectedRevisionFor(3)).toBe(2n);
    expect(expectedRevisionFor('any')).toBe(ANY);
    expect(versionOfCurrentRevision(NO_STREAM)).toBe(0);
    expect(versionOfCurrentRevision(4n)).toBe(5);
    const position = { commit: 18_446_744_073_709_551_000n, prepare: 7n };
    expect(encodeEsdbPosition(position)).toBe('18446744073709551000/7');
    expect(decodeEsdbPosition(encodeEsdbPosition(position))).toEqual(position);
    expect(decodeEsdbPosition(null)).toBe(START);
    expect(() => decodeEsdbPosition(asGlobalPosition('12'))).toThrow(RangeError);
    expect(atOrBefore({ commit: 5n, prepare: 5n }, { commit: 5n, prepare: 5n })).toBe(true);
    expect(atOrBefore({ commit: 5n, prepare: 6n }, { commit: 5n, prepare: 5n })).toBe(false);
    expect(atOrBefore({ commit: 1n, prepare: 1n }, START)).toBe(false);
    expect(new RegExp(eventTypesRegex(['A.B', 'C'])).test('AxB')).toBe(false);
    expect(new RegExp(eventTypesRegex(['A.B', 'C'])).test('C')).toBe(true);
  });
});

describe('EsdbEventStore against a port that accepts TCP and never answers', () => {
  let server: Server;
  const sockets = new Set<Socket>();
  let store: EsdbEventStore;
  const timeoutMs = 300;

  beforeAll(async () => {
    const port = await freePort();
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    store = new EsdbEventStore({ connectionString: `esdb://127.0.0.1:${port}?tls=false`, timeoutMs });
  });
  afterAll(async () => {
    await store.close();
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const rejectsInTime = async (what: string, call: () => Promise<unknown>) => {
    const started = Date.now();
    await expect(call(), what).rejects.toBeInstanceOf(EventStoreUnavailable);
    expect(Date.now() - started, what).toBeLessThan(timeoutMs + 1500);
  };

  it('rejects ping, reads and appends with EventStoreUnavailable within the timeout', async () => {
    const { id, stream } = newSession();
    await rejectsInTime('ping', () => store.ping());
    await rejectsInTime('readStream', () => store.readStream(stream));
    await rejectsInTime('readAll', () => store.readAll({ after: null, limit: 10 }));
    await rejectsInTime('append', () => store.appendToStream(stream, [probeEvent(1)], { expectedVersion: 0, metadata: metadataFor(id) }));
    await rejectsInTime('append at a version', () =>
      store.appendToStream(stream, [probeEvent(1)], { expectedVersion: 2, metadata: metadataFor(id) }));
    const subscription = store.subscribeToAll({ after: null }, async () => {});
    await rejectsInTime('subscribeToAll', () => subscription.done);
    expect(sockets.size).toBeGreaterThan(0); // the client did connect: this is the silent-port case, not a refused one
  });
});
