import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from './support/daemon.js';

const dir = mkdtempSync(join(tmpdir(), 'elemta-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (env: Record<string, string>, args = ['serve']) =>
  spawnSync(process.execPath, [CLI, ...args], { env: { PATH: process.env['PATH'] ?? '', ELEMTA_DATA_DIR: dir, ...env }, encoding: 'utf8', timeout: 30_000 });

describe('invalid configuration stops start-up before any socket opens', () => {
  it('names the key and the problem for a bad port, and exits 78', () => {
    const result = run({ ELEMTA_SMTP_PORT: 'abc' });
    expect(result.status).toBe(78);
    expect(result.stderr).toMatch(/smtp\.port/);
    expect(result.stderr).toMatch(/ELEMTA_SMTP_PORT/);
  });

  it('reports every problem at once', () => {
    const result = run({ ELEMTA_HTTP_PORT: '70000', ELEMTA_LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x' });
    expect(result.status).toBe(78);
    for (const key of ['http.port', 'log.level', 'postgres']) expect(result.stderr).toContain(key);
  });

  it('names an unknown key in the YAML file', () => {
    const file = join(dir, 'elemta.yaml');
    writeFileSync(file, 'smtp:\n  port: 2526\n  maxMesageSize: 10MB\n');
    const result = run({ ELEMTA_CONFIG: file });
    expect(result.status).toBe(78);
    expect(result.stderr).toMatch(/maxMesageSize/);
  });

  it('refuses to start with an unknown route or zone, naming the key', () => {
    const file = join(dir, 'routes.yaml');
    writeFileSync(file, 'delivery:\n  routes: { domains: { example.org: nowhere }, rules: [ { senderDomain: a.test, zone: vip } ] }\n');
    const result = run({ ELEMTA_CONFIG: file });
    expect(result.status).toBe(78);
    expect(result.stderr).toContain('delivery.routes.domains.example.org: unknown route "nowhere"');
    expect(result.stderr).toContain('delivery.routes.rules.0.zone: unknown zone "vip"');
  });

  it('names a YAML file it cannot read', () => {
    const result = run({ ELEMTA_CONFIG: join(dir, 'missing.yaml') });
    expect(result.status).toBe(78);
    expect(result.stderr).toContain('missing.yaml');
  });

  it('accepts a valid configuration with config check', () => {
    const result = run({ ELEMTA_SMTP_PORT: '2600' }, ['config', 'check']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/configuration is valid/);
  });
});
