import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, RawSmtpClient } from '@elemta/infra/testing';
import { CLI } from './support/daemon.js';
import { Fixtures, type RunningNode } from './support/delivery-fixtures.js';

const fx = new Fixtures();
const NODE = 'cli-node';
let databaseUrl: string;
let cliDataDir: string;
let node: RunningNode;
const ids: string[] = [];

type Run = { code: number | null; stdout: string; stderr: string };

/** Runs the real `elemta` binary against the test database (as an operator would, beside the running daemon). */
const elemta = (...args: string[]): Promise<Run> => new Promise((resolve, reject) => {
  const child = spawn(process.execPath, [CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', DATABASE_URL: databaseUrl,
      ELEMTA_DATA_DIR: cliDataDir, ELEMTA_NODE_NAME: NODE, ELEMTA_LOG_LEVEL: 'warn',
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  child.once('error', reject);
  child.once('close', (code) => resolve({ code, stdout, stderr }));
});

const send = async (port: number, rcpt: string): Promise<string> => {
  const { client } = await RawSmtpClient.open(port);
  await client.command('EHLO cli.test');
  await client.command('MAIL FROM:<alice@example.org>');
  await client.command(`RCPT TO:<${rcpt}>`);
  await client.command('DATA');
  client.write('Subject: cli parity\r\n\r\nhello\r\n.\r\n');
  const line = (await client.next()).lines[0] ?? '';
  await client.command('QUIT');
  client.close();
  const id = /queued as (\S+)/.exec(line)?.[1];
  if (!id) throw new Error(`not queued: ${line}`);
  return id;
};

type ExportLine = {
  position: string; stream: string; version: number; type: string; schemaVersion: number; recordedAt: string; eventId: string;
  data: Record<string, unknown>; metadata: { correlationId: string; causationId: string | null; actor: string; node: string; prevHash: string; hash: string };
};
const ndjson = (text: string): ExportLine[] => text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as ExportLine);

beforeAll(async () => {
  databaseUrl = await fx.database('cli');
  const dataDir = fx.tempDir('elemta-cli-serve-');
  cliDataDir = fx.tempDir('elemta-cli-');
  const configFile = join(dataDir, 'elemta.yaml');
  writeFileSync(configFile, 'smtp: { disableReverseLookup: true }\n');
  node = await fx.startNode({ name: NODE, dataDir, databaseUrl, configFile, env: { ELEMTA_DELIVERY_WORKERS: 'false' } });
  ids.push(await send(node.smtpPort, 'bob@example.net'), await send(node.smtpPort, 'carol@example.com'));
  // the queue view follows the log a few milliseconds behind
  await eventually(async () => {
    const { stdout } = await elemta('queue', 'ls', '--json');
    const listed = (JSON.parse(stdout) as { rows: { messageId: string }[] }).rows.map((r) => r.messageId);
    return ids.every((id) => listed.includes(id)) ? true : undefined;
  }, 30_000, 200);
});

afterAll(() => fx.stopAll());

describe('elemta queue', () => {
  it('lists the queue as JSON and as a table, filtered by domain', async () => {
    const json = await elemta('queue', 'ls', '--json', '--domain', 'example.net');
    expect(json.code).toBe(0);
    const listed = JSON.parse(json.stdout) as { totalCount: number; rows: { messageId: string; recipient: string; status: string }[] };
    expect(listed).toMatchObject({ totalCount: 1, rows: [{ messageId: ids[0], recipient: 'bob@example.net', status: 'queued' }] });
    const text = await elemta('queue', 'ls');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^MESSAGE ID\s+RECIPIENT\s+STATUS/);
    expect(text.stdout).toContain(ids[1]);
    expect(text.stdout).toMatch(/2 of 2 queued recipients/);
  });

  it('holds a message through the command service, recording the CLI as the actor', async () => {
    const run = await elemta('queue', 'hold', ids[0]!, '--reason', 'check headers');
    expect(run).toMatchObject({ code: 0 });
    expect(run.stdout).toMatch(/matched: 1, changed: 1, unchanged: 0, failed: 0/);
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ metadata: { actor: string; node: string }; data: { reason: string } }>(
        "SELECT metadata, data FROM events WHERE stream = $1 AND type = 'MessageHeld'", [`message-${ids[0]}`]);
      expect(rows).toHaveLength(1);
      expect(rows[0]!.metadata.actor).toMatch(new RegExp(`^cli:[^@]+@${NODE}$`));
      expect(rows[0]!.metadata.node).toBe(NODE);
      expect(rows[0]!.data.reason).toBe('check headers');
    } finally {
      await client.end();
    }
  });

  it('reports each failure with its code and exits 1', async () => {
    const run = await elemta('queue', 'release', ids[1]!);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/matched: 1, changed: 0, unchanged: 0, failed: 1/);
    expect(run.stdout).toContain(`${ids[1]}: MESSAGE_NOT_HELD`);
  });

  it('selects by filter, and refuses ids together with a filter (exit 64)', async () => {
    const none = await elemta('queue', 'retry', '--sender', 'nobody@nowhere.test');
    expect(none.code).toBe(0);
    expect(none.stdout).toMatch(/matched: 0/);
    const both = await elemta('queue', 'cancel', ids[1]!, '--domain', 'example.com');
    expect(both.code).toBe(64);
    expect(both.stderr).toMatch(/Usage: elemta queue/);
  });
});

describe('elemta events export', () => {
  it('exports one stream as NDJSON whose hashes chain', async () => {
    const run = await elemta('events', 'export', '--stream', `message-${ids[0]}`);
    expect(run.code).toBe(0);
    const lines = ndjson(run.stdout);
    expect(lines.map((l) => l.version)).toEqual(lines.map((_, i) => i + 1));
    expect(lines.map((l) => l.type)).toContain('MessageHeld');
    expect(lines[0]!.metadata.prevHash).toBe('0'.repeat(64));
    lines.slice(1).forEach((l, i) => expect(l.metadata.prevHash).toBe(lines[i]!.metadata.hash));
    for (const l of lines) {
      expect(l).toMatchObject({ stream: `message-${ids[0]}`, metadata: { correlationId: ids[0] } });
      expect(l.position).toBeTypeOf('string');
      expect(l.metadata.hash).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('exports all events of the given types in global order, to a file', async () => {
    const out = join(cliDataDir, 'accepted.ndjson');
    const run = await elemta('events', 'export', '--types', 'MessageAccepted', '--out', out);
    expect(run.code).toBe(0);
    const lines = ndjson(readFileSync(out, 'utf8'));
    expect(lines.every((l) => l.type === 'MessageAccepted')).toBe(true);
    expect(lines.map((l) => l.stream)).toEqual(ids.map((id) => `message-${id}`));
    expect(run.stderr).toContain(`exported 2 events to ${out}`);
    const later = await elemta('events', 'export', '--from', new Date(Date.now() + 3_600_000).toISOString());
    expect(later).toMatchObject({ code: 0, stdout: '' });
  });

  it('rejects bad arguments with exit 64 and a usage line', async () => {
    for (const args of [['--from', 'yesterday'], ['--bogus'], ['--types', ',']]) {
      const run = await elemta('events', 'export', ...args);
      expect(run.code, args.join(' ')).toBe(64);
      expect(run.stderr).toMatch(/Usage: elemta events export/);
    }
  });
});

describe('elemta verify', () => {
  it('verifies every stream, then names the stream and version of an event changed behind the triggers', async () => {
    const ok = await elemta('verify');
    expect(ok.code).toBe(0);
    const counted = /^ok: (\d+) streams, (\d+) events verified$/m.exec(ok.stdout);
    expect(counted, ok.stdout + ok.stderr).not.toBeNull();
    expect(Number(counted![1])).toBeGreaterThanOrEqual(2);

    const stream = `message-${ids[0]}`;
    const admin = new pg.Client({ connectionString: databaseUrl }); // the test server's superuser
    await admin.connect();
    let version: number;
    try {
      await admin.query('ALTER TABLE events DISABLE TRIGGER ALL');
      const { rows } = await admin.query<{ version: number }>(
        `UPDATE events SET data = jsonb_set(data, '{reason}', '"nothing to see"') WHERE stream = $1 AND type = 'MessageHeld' RETURNING version`, [stream]);
      await admin.query('ALTER TABLE events ENABLE TRIGGER ALL');
      version = rows[0]!.version;
    } finally {
      await admin.end();
    }

    const broken = await elemta('verify');
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain(`broken: stream ${stream}, version ${version}: hash does not match the event`);
    expect(broken.stdout).toMatch(/expected: [0-9a-f]{64}\n\s+actual:\s+[0-9a-f]{64}/);
    expect((await elemta('verify', '--stream', `message-${ids[1]}`)).code).toBe(0);
    expect((await elemta('verify', '--stream', stream)).code).toBe(1);
  });
});
