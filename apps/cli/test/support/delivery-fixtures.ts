import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import pg from 'pg';
import { inject } from 'vitest';
import {
  createTestDatabase, startTestPostgres, type SmtpSink, type TestDnsServer,
} from '@elemta/infra/testing';
import { freePorts, startDaemon, waitHealthy, type Daemon } from './daemon.js';

/** Everything a delivery e2e file starts, torn down in reverse order by `stopAll` (afterAll). */
export class Fixtures {
  private readonly daemons: Daemon[] = [];
  private readonly teardown: Array<() => Promise<unknown> | unknown> = [];

  /** A fresh database on the shared test server (`inject('postgresUrl')`), or on a server of its own when none is provided. */
  async database(prefix: string): Promise<string> {
    const provided = inject('postgresUrl') as string | undefined;
    if (provided) return createTestDatabase(provided, prefix);
    const server = await startTestPostgres();
    this.teardown.push(server.stop);
    return createTestDatabase(server.url, prefix);
  }

  tempDir(prefix: string): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    this.teardown.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  onStop(step: () => Promise<unknown> | unknown): void {
    this.teardown.push(step);
  }

  /** Starts `elemta serve` on fresh ports and waits for /healthz. */
  async startNode(node: NodeSpec): Promise<RunningNode> {
    const ports = await freePorts();
    const started = Date.now();
    const daemon = startDaemon(node.dataDir, ports, {
      DATABASE_URL: node.databaseUrl, ELEMTA_CONFIG: node.configFile, ELEMTA_NODE_NAME: node.name,
      ELEMTA_HOSTNAME: `${node.name}.elemta.test`, ELEMTA_BLOB_STORE: 'postgres', ...node.env,
    });
    this.daemons.push(daemon);
    await waitHealthy(daemon, ports.http);
    return { name: node.name, daemon, smtpPort: ports.smtp, httpPort: ports.http, startupMs: Date.now() - started };
  }

  async stopAll(): Promise<void> {
    const daemons = this.daemons.splice(0);
    for (const d of daemons) killGroup(d);
    await Promise.all(daemons.map((d) => d.exited));
    for (const step of this.teardown.splice(0).reverse()) {
      try { await step(); } catch { /* best effort: the rest still gets cleaned */ }
    }
  }
}

export type NodeSpec = Readonly<{ name: string; dataDir: string; configFile: string; databaseUrl: string; env?: Record<string, string> }>;
export type RunningNode = Readonly<{ name: string; daemon: Daemon; smtpPort: number; httpPort: number; startupMs: number }>;

/** kill -9 of the daemon's process group (Elemta and any child it has). */
export const killGroup = (daemon: Daemon): void => {
  if (daemon.child.exitCode !== null || daemon.child.signalCode !== null || !daemon.child.pid) return;
  try { process.kill(-daemon.child.pid, 'SIGKILL'); } catch { /* gone already */ }
};

export type DeliveryConfigOptions = Readonly<{
  relayPort: number; dns: TestDnsServer; lease: string; concurrency?: number; batchSize?: number; pollInterval?: string;
}>;

/** Writes an ELEMTA_CONFIG file: relay mode through the test DNS server to sinks on `relayPort`. */
export const writeDeliveryConfig = (dir: string, o: DeliveryConfigOptions): string => {
  const file = join(dir, 'elemta.yaml');
  writeFileSync(file, [
    'smtp: { disableReverseLookup: true }',
    'delivery:',
    '  mode: relay',
    `  transports: { relay: { kind: relay, port: ${o.relayPort}, connectTimeout: 2s } }`,
    `  dns: { servers: ["${o.dns.address}"], timeout: 1s }`,
    '  retry: { initialDelay: 1s, multiplier: 2, maxDelay: 5s, jitter: 0 }',
    `  workers: { concurrency: ${o.concurrency ?? 50}, batchSize: ${o.batchSize ?? 50}, lease: ${o.lease}, pollInterval: ${o.pollInterval ?? '100ms'} }`,
    '',
  ].join('\n'));
  return file;
};

/** An MX for `domain` pointing at `ip` (the sinks all listen on the relay port, each on its loopback alias). */
export const mxZone = (dns: TestDnsServer, domain: string, ip: string): void => {
  dns.setZone(domain, { MX: [{ exchange: `mx.${domain}`, priority: 10 }], ttl: 1 });
  dns.setZone(`mx.${domain}`, { A: [ip], ttl: 1 });
};

export type Outgoing = Readonly<{ messageIdHeader: string; to: string; subject: string }>;

export type Sending = Readonly<{
  /** Message-ID header → Elemta id, for every message whose DATA got a 250 so far. */
  acknowledged: ReadonlyMap<string, string>;
  /** Hands out no more messages (the ones in flight finish or fail). */
  stop: () => void;
  done: Promise<void>;
}>;

/**
 * Sends `messages` over a nodemailer pool of `sessions` connections to `port`, one message per connection at a time.
 * A message whose connection dies (the server was killed) is not acknowledged; sending goes on until `stop()`.
 */
export const startSending = (port: number, messages: readonly Outgoing[], sessions: number): Sending => {
  const acknowledged = new Map<string, string>();
  const transport = nodemailer.createTransport({
    pool: true, maxConnections: sessions, maxMessages: Infinity, host: '127.0.0.1', port, secure: false, ignoreTLS: true,
  });
  let next = 0;
  let stopped = false;
  const worker = async () => {
    for (let m = messages[next++]; m && !stopped; m = messages[next++]) {
      try {
        const info = await transport.sendMail({
          from: 'load@sender.test', to: m.to, subject: m.subject, text: `body of ${m.subject}`, messageId: m.messageIdHeader,
        });
        const id = /queued as (\S+)/.exec(String(info.response))?.[1];
        if (id) acknowledged.set(m.messageIdHeader, id);
      } catch { /* the server died under us: not acknowledged */ }
    }
  };
  const done = Promise.all(Array.from({ length: sessions }, worker)).then(() => transport.close());
  return { acknowledged, stop: () => { stopped = true; }, done };
};

export const outgoing = (tag: string, count: number, to: string): Outgoing[] =>
  Array.from({ length: count }, (_, i) => ({ messageIdHeader: `<${tag}-${i}@sender.test>`, to, subject: `${tag} ${i}` }));

/** How often the sink received each Message-ID header. */
export const receivedCounts = (sink: SmtpSink): Map<string, number> => {
  const counts = new Map<string, number>();
  for (const m of sink.messages) {
    const id = /^Message-ID:\s*(\S+)/im.exec(m.body.toString('latin1'))?.[1] ?? '(none)';
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
};

/** Message-ID headers received more than once, with their counts. */
export const duplicatesAt = (sink: SmtpSink): Array<[string, number]> => [...receivedCounts(sink)].filter(([, n]) => n > 1);

/** Questions about the event log, asked with SQL on the events table. */
export class EventLog {
  private constructor(private readonly db: pg.Client) {}

  /** One connection (a pool's end() does not wait for its connections to close). */
  static async connect(databaseUrl: string): Promise<EventLog> {
    const client = new pg.Client({ connectionString: databaseUrl });
    client.on('error', () => { /* the server went away at teardown */ });
    await client.connect();
    return new EventLog(client);
  }

  /** Those of `ids` that have a RecipientDelivered event. */
  async delivered(ids: readonly string[]): Promise<Set<string>> {
    const { rows } = await this.db.query<{ id: string }>(
      `SELECT DISTINCT substr(stream, 9) AS id FROM events WHERE type = 'RecipientDelivered' AND stream = ANY($1::text[])`,
      [ids.map((id) => `message-${id}`)]);
    return new Set(rows.map((r) => r.id));
  }

  async deliveredCount(ids: readonly string[]): Promise<number> {
    return (await this.delivered(ids)).size;
  }

  /** Recipients (stream and address) with more than one RecipientDelivered event: must be none. */
  async doubleDeliveries(): Promise<Array<{ stream: string; recipient: string; n: number }>> {
    const { rows } = await this.db.query<{ stream: string; recipient: string; n: string }>(
      `SELECT stream, data->>'recipient' AS recipient, count(*) AS n FROM events WHERE type = 'RecipientDelivered'
        GROUP BY 1, 2 HAVING count(*) > 1`);
    return rows.map((r) => ({ ...r, n: Number(r.n) }));
  }

  /** DeliveryAttempted events per node (metadata.node). */
  async attemptsByNode(): Promise<Record<string, number>> {
    const { rows } = await this.db.query<{ node: string; n: string }>(
      `SELECT metadata->>'node' AS node, count(*) AS n FROM events WHERE type = 'DeliveryAttempted' GROUP BY 1 ORDER BY 1`);
    return Object.fromEntries(rows.map((r) => [r.node, Number(r.n)]));
  }

  async eventsOf(id: string): Promise<Array<{ type: string; node: string; recordedAt: Date; data: Record<string, any> }>> {
    const { rows } = await this.db.query<{ type: string; node: string; recorded_at: Date; data: Record<string, any> }>(
      `SELECT type, metadata->>'node' AS node, recorded_at, data FROM events WHERE stream = $1 ORDER BY version`, [`message-${id}`]);
    return rows.map((r) => ({ type: r.type, node: r.node, recordedAt: r.recorded_at, data: r.data }));
  }

  async lease(id: string): Promise<{ owner: string; expiresAt: Date; released: boolean } | undefined> {
    const { rows } = await this.db.query<{ owner: string; expires_at: Date; released: boolean }>(
      'SELECT owner, expires_at, released FROM queue_leases WHERE message_id = $1', [id]);
    return rows[0] && { owner: rows[0].owner, expiresAt: rows[0].expires_at, released: rows[0].released };
  }

  close(): Promise<void> { return this.db.end(); }
}

export type StallingPeer = Readonly<{ dataStarted: Promise<number>; close: () => Promise<void> }>;

/**
 * A peer that accepts the session up to DATA, answers 354, swallows the body and never replies: the delivering node
 * stays mid-transaction (and keeps renewing its lease) until it dies. `dataStarted` resolves with the time DATA came.
 */
export const startStallingPeer = async (host: string, port: number): Promise<StallingPeer> => {
  let started!: (at: number) => void;
  const dataStarted = new Promise<number>((resolve) => { started = resolve; });
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.write('220 stall.test ESMTP\r\n');
    let buffer = '';
    let inData = false;
    socket.on('data', (chunk: Buffer) => {
      if (inData) return;
      buffer += chunk.toString('latin1');
      for (let i = buffer.indexOf('\r\n'); i >= 0 && !inData; i = buffer.indexOf('\r\n')) {
        const verb = buffer.slice(0, 4).toUpperCase();
        buffer = buffer.slice(i + 2);
        if (verb === 'EHLO') socket.write('250-stall.test\r\n250 8BITMIME\r\n');
        else if (verb === 'DATA') { inData = true; socket.write('354 go ahead\r\n'); started(Date.now()); }
        else if (verb === 'QUIT') socket.end('221 2.0.0 bye\r\n');
        else socket.write('250 2.0.0 ok\r\n');
      }
    });
  });
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(port, host, () => resolve()); });
  return {
    dataStarted,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
};
