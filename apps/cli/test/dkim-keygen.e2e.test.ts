import { spawnSync } from 'node:child_process';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@elemta/infra/config';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from './support/daemon.js';

const dir = mkdtempSync(join(tmpdir(), 'elemta-dkim-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [CLI, ...args], {
    cwd: dir, env: { PATH: process.env['PATH'] ?? '', ELEMTA_DATA_DIR: join(dir, 'data'), ...env }, encoding: 'utf8', timeout: 30_000,
  });

/** The character-strings of the printed `name. IN TXT "…" "…"` line, and its name. */
const txtLine = (stdout: string) => {
  const line = stdout.split('\n').find((l) => l.includes(' IN TXT '))!.trim();
  const [name] = line.split(' ');
  const strings = [...line.matchAll(/"([^"]*)"/g)].map((m) => m[1]!);
  return { name, strings, record: strings.join('') };
};

/** The YAML snippet printed after the record, saved as a config file. */
const snippetFile = (stdout: string, name: string): string => {
  const file = join(dir, name);
  writeFileSync(file, `${stdout.slice(stdout.indexOf('  delivery:')).split('\n\n')[0]!}\n`);
  return file;
};
const signingOf = (file: string) => loadConfig({ ELEMTA_CONFIG: file }).delivery.signing;

describe('elemta dkim keygen', () => {
  it('writes a 2048-bit RSA key with mode 0600 and prints the record to publish and the configuration to add', () => {
    const result = run(['dkim', 'keygen', '--domain', 'Example.ORG', '--selector', 's2026']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const keyFile = join(dir, 'example.org.s2026.dkim.pem');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const privateKey = createPrivateKey(readFileSync(keyFile));
    expect(privateKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    const { name, strings, record } = txtLine(result.stdout);
    expect(name).toBe('s2026._domainkey.example.org.');
    expect(strings.length).toBe(2);
    expect(strings.every((s) => s.length <= 255)).toBe(true);
    expect(record).toMatch(/^v=DKIM1; k=rsa; p=/);
    const published = createPublicKey({ key: Buffer.from(record.split('p=')[1]!, 'base64'), format: 'der', type: 'spki' });
    expect(published.export({ type: 'spki', format: 'pem' })).toBe(createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }));
    const config = snippetFile(result.stdout, 'rsa.yaml');
    expect(signingOf(config).dkim).toEqual({ 'example.org': { selector: 's2026', keyFile, algorithm: 'rsa-sha256' } });
    // the snippet as printed is a configuration that config check accepts, key file included
    const check = run(['config', 'check'], { ELEMTA_CONFIG: config });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });

  it('makes Ed25519 keys, at the path given', () => {
    const out = join(dir, 'ed.pem');
    const result = run(['dkim', 'keygen', '--domain', 'example.org', '--selector', 'ed1', '--algorithm', 'ed25519', '--out', out]);
    expect(result.status).toBe(0);
    expect(createPrivateKey(readFileSync(out)).asymmetricKeyType).toBe('ed25519');
    expect(txtLine(result.stdout).record).toMatch(/^v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=$/);
    expect(signingOf(snippetFile(result.stdout, 'ed.yaml')).dkim['example.org']).toMatchObject({ keyFile: out, algorithm: 'ed25519-sha256' });
  });

  it('refuses to overwrite an existing file, leaving it as it was', () => {
    const out = join(dir, 'existing.pem');
    writeFileSync(out, 'the key in use');
    const result = run(['dkim', 'keygen', '--domain', 'example.org', '--selector', 's1', '--out', out]);
    expect(result.status).toBe(73);
    expect(result.stderr).toContain(`${out} exists; not overwriting it`);
    expect(readFileSync(out, 'utf8')).toBe('the key in use');
  });

  it('refuses bad arguments with its usage and exit code 64', () => {
    for (const args of [
      ['--selector', 's1'], ['--domain', 'not a domain', '--selector', 's1'], ['--domain', 'example.org', '--selector', 's 1'],
      ['--domain', 'example.org', '--selector', 's1', '--algorithm', 'dsa'], ['--domain', 'example.org', '--selector', 's1', '--bits', '512'],
      ['--domain', 'example.org', '--selector', 's1', '--algorithm', 'ed25519', '--bits', '2048'],
    ]) {
      const result = run(['dkim', 'keygen', ...args]);
      expect(result.status, args.join(' ')).toBe(64);
      expect(result.stderr).toContain('Usage: elemta dkim keygen');
    }
  });

  it('works without a usable configuration, since the key comes before the configuration that names it', () => {
    const config = join(dir, 'broken.yaml');
    writeFileSync(config, 'delivery: { signing: { dkim: { example.org: { selector: s9, keyFile: not-made-yet.pem } } } }\n');
    const result = run(['dkim', 'keygen', '--domain', 'example.org', '--selector', 's9', '--out', join(dir, 's9.pem')], { ELEMTA_CONFIG: config });
    expect(result.status).toBe(0);
  });
});

describe('signing keys in the configuration', () => {
  it('config check stops with exit code 78, naming the key of a missing key file', () => {
    const config = join(dir, 'missing-key.yaml');
    writeFileSync(config, 'delivery: { signing: { dkim: { example.org: { selector: s1, keyFile: keys/none.pem } } } }\n');
    const result = run(['config', 'check'], { ELEMTA_CONFIG: config });
    expect(result.status).toBe(78);
    expect(result.stderr).toContain(`delivery.signing.dkim.example.org.keyFile: cannot read ${join(dir, 'keys/none.pem')}`);
  });
});
