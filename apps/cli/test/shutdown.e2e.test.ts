import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RawSmtpClient } from '@elemta/infra/testing';
import { freePorts, isAlive, postmasterPid, startDaemon, waitHealthy } from './support/daemon.js';

const dataDir = mkdtempSync(join(tmpdir(), 'elemta-shutdown-'));
afterAll(() => {
  const pid = postmasterPid(dataDir);
  if (pid && isAlive(pid)) process.kill(-pid, 'SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

const refused = (port: number) => new Promise<boolean>((resolve) => {
  const socket = connect(port, '127.0.0.1');
  socket.once('connect', () => { socket.destroy(); resolve(false); });
  socket.once('error', () => resolve(true));
});

describe('graceful shutdown', () => {
  it('on SIGINT stops accepting connections, lets the message in flight finish with 250, then stops PostgreSQL and exits 0', async () => {
    const ports = await freePorts();
    const daemon = startDaemon(dataDir, ports, { ELEMTA_LOG_LEVEL: 'info' });
    await waitHealthy(daemon, ports.http);
    const pg = postmasterPid(dataDir)!;

    const { client } = await RawSmtpClient.open(ports.smtp);
    await client.command('EHLO shutdown.test');
    await client.command('MAIL FROM:<alice@example.org>');
    await client.command('RCPT TO:<bob@example.net>');
    expect((await client.command('DATA')).code).toBe(354);
    client.write('Subject: in flight\r\n\r\nfirst half\r\n');

    process.kill(daemon.child.pid!, 'SIGINT');
    await expect.poll(() => refused(ports.smtp), { timeout: 10_000 }).toBe(true); // no new sessions

    client.write('second half\r\n.\r\n');
    expect((await client.next()).lines[0]).toMatch(/^250 2\.0\.0 Ok: queued as /);
    await client.command('QUIT');
    client.close();

    expect(await daemon.exited).toBe(0);
    expect(isAlive(pg)).toBe(false);
    expect(daemon.output()).toMatch(/shutting down/);
  });

  it('on a signal during start-up, finishes starting and then stops cleanly', async () => {
    const ports = await freePorts();
    const daemon = startDaemon(dataDir, ports);
    await expect.poll(() => postmasterPid(dataDir), { timeout: 30_000, interval: 5 }).not.toBeNull(); // PostgreSQL is starting
    process.kill(daemon.child.pid!, 'SIGTERM');
    expect(await daemon.exited).toBe(0);
    expect(postmasterPid(dataDir)).toBeNull();
  });
});
