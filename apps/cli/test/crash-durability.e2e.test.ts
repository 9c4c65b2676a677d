import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { FileBlobStore, PostgresBlobStore, TieredBlobStore } from '@elemta/infra/blob-store';
import { eventually, graphqlRequest, RawSmtpClient } from '@elemta/infra/testing';
import { adminKey, CLI, daemonEnv, freePorts, isAlive, postmasterPid, startDaemon, waitHealthy, type Daemon } from './support/daemon.js';

const dirs: string[] = [];
const daemons: Daemon[] = [];
afterEach(async () => {
  for (const d of daemons.splice(0)) {
    if (d.child.exitCode === null && d.child.pid) { try { process.kill(-d.child.pid, 'SIGKILL'); } catch { /* gone */ } }
  }
  for (const dir of dirs.splice(0)) {
    const pid = postmasterPid(dir);
    if (pid && isAlive(pid)) { try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ } }
    rmSync(dir, { recursive: true, force: true });
  }
});

const QUERY = `query ($id: ID!) { message(id: $id) { id status subject events { type version data } } }`;

/** Sends messages on one connection until stopped; returns the ids whose 250 arrived. */
const sendUntilStopped = async (port: number, tag: string, stop: { now: boolean }, acknowledged: string[]) => {
  const { client } = await RawSmtpClient.open(port);
  await client.command('EHLO load.test');
  try {
    for (let i = 0; !stop.now; i++) {
      await client.command('MAIL FROM:<load@example.org>');
      await client.command('RCPT TO:<sink@example.net>');
      await client.command('DATA');
      client.write(`Subject: ${tag}-${i}\r\n\r\nbody ${tag} ${i}\r\n.\r\n`);
      const reply = await client.next();
      const id = /queued as (\S+)/.exec(reply.text)?.[1];
      if (reply.code === 250 && id) acknowledged.push(id);
    }
  } catch { /* the server died under us: expected */ }
  client.close();
};

/** Every acknowledged message is in the views with both events, and its body is in the blob store, intact. */
const verifyDurable = async (dataDir: string, ports: { http: number; pg: number }, ids: string[]) => {
  const key = adminKey(dataDir);
  const password = readFileSync(join(dataDir, 'pg-password'), 'utf8').trim();
  const pool = new pg.Pool({ connectionString: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${ports.pg}/elemta` });
  const blobs = new TieredBlobStore(new PostgresBlobStore({ pool }), new FileBlobStore({ dir: join(dataDir, 'blobs') }), 65536);
  try {
  for (const id of ids) {
    const message = await eventually(async () => {
      const { body } = await graphqlRequest<{ message: any }>(ports.http, key, QUERY, { id });
      return (body.data?.message?.events.length ?? 0) >= 2 ? body.data?.message : undefined; // capture delivery may add more
    }, 30_000);
    expect(message.events.slice(0, 2).map((e: { type: string }) => e.type)).toEqual(['MessageAccepted', 'MessageQueued']);
    const { bodySha256, bodyRef } = message.events[0].data;
    const body = await blobs.get(bodyRef);
    expect(body, `body of ${id}`).not.toBeNull();
    expect(createHash('sha256').update(body!).digest('hex')).toBe(bodySha256);
  }
  } finally {
    await pool.end();
  }
};

const start = async (dataDir: string, ports: Awaited<ReturnType<typeof freePorts>>) => {
  const daemon = startDaemon(dataDir, ports);
  daemons.push(daemon);
  await waitHealthy(daemon, ports.http);
  return daemon;
};

describe('crash durability: nothing acknowledged is lost', () => {
  it('survives kill -9 of Elemta right after a 250, taking over the orphaned PostgreSQL', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'elemta-crash-a-'));
    dirs.push(dataDir);
    const ports = await freePorts();
    const first = await start(dataDir, ports);
    const pgBefore = postmasterPid(dataDir)!;

    const { client } = await RawSmtpClient.open(ports.smtp);
    await client.command('EHLO crash.test');
    await client.command('MAIL FROM:<alice@example.org>');
    await client.command('RCPT TO:<bob@example.net>');
    await client.command('DATA');
    client.write('Subject: survive me\r\n\r\nkill -9 follows this 250\r\n.\r\n');
    const reply = await client.next();
    process.kill(first.child.pid!, 'SIGKILL'); // Elemta alone: its PostgreSQL is orphaned, still running
    client.close();
    expect(reply.lines[0]).toMatch(/^250 2\.0\.0 Ok: queued as /);
    const id = /queued as (\S+)/.exec(reply.text)![1]!;
    await first.exited;
    expect(isAlive(pgBefore)).toBe(true);

    const second = await start(dataDir, ports);
    expect(postmasterPid(dataDir)).not.toBe(pgBefore);
    expect(second.output()).toMatch(/left running by an earlier Elemta process/);
    await verifyDurable(dataDir, ports, [id]);

    process.kill(second.child.pid!, 'SIGTERM');
    expect(await second.exited).toBe(0);
    expect(postmasterPid(dataDir)).toBeNull(); // PostgreSQL was stopped cleanly with Elemta

    // and `elemta replay` rebuilds the views from the log, with the message back in them
    const replay = spawnSync(process.execPath, [CLI, 'replay'], { env: daemonEnv(dataDir, ports), encoding: 'utf8', timeout: 120_000 });
    expect(replay.status, replay.stderr).toBe(0);
    expect(replay.stdout).toMatch(/replayed views/);
    const recorded = spawnSync(process.execPath, [CLI, 'events', 'export', '--stream', 'admin-projections'], { env: daemonEnv(dataDir, ports), encoding: 'utf8', timeout: 60_000 });
    const replayed = recorded.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; metadata: { actor: string } });
    expect(replayed.map((e) => e.type)).toEqual(['ProjectionReplayRequested', 'ProjectionReplayed']);
    expect(replayed[1]!.metadata.actor).toMatch(/^cli:.+@/);
    await start(dataDir, ports);
    await verifyDurable(dataDir, ports, [id]);
  });

  it('survives a power cut (Elemta and PostgreSQL killed at once) in the middle of a load', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'elemta-crash-b-'));
    dirs.push(dataDir);
    const ports = await freePorts();
    const first = await start(dataDir, ports);
    const pg = postmasterPid(dataDir)!;

    const stop = { now: false };
    const acknowledged: string[] = [];
    const senders = Array.from({ length: 8 }, (_, i) => sendUntilStopped(ports.smtp, `s${i}`, stop, acknowledged));
    await eventually(async () => (acknowledged.length >= 200 ? true : undefined), 60_000, 5);
    process.kill(-first.child.pid!, 'SIGKILL');
    process.kill(-pg, 'SIGKILL'); // postmaster and every backend, as a power cut would
    stop.now = true;
    await Promise.all(senders);
    const ids = [...acknowledged];
    await first.exited;

    await start(dataDir, ports);
    await verifyDurable(dataDir, ports, ids);
    console.log(`power cut: ${ids.length} acknowledged messages, all present after restart`);
  });
});
