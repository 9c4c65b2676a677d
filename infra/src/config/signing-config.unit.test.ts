import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from './config-error.js';
import { loadConfig } from './load-config.js';

const dir = mkdtempSync(join(tmpdir(), 'elemta-signing-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const load = (yaml: string) => {
  const file = join(dir, `signing-${files++}.yaml`);
  writeFileSync(file, yaml);
  return loadConfig({ ELEMTA_CONFIG: file });
};
const problems = (yaml: string): string => {
  try {
    load(yaml);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message;
  }
  throw new Error('expected a ConfigError');
};

describe('delivery.signing', () => {
  it('signs nothing by default', () => {
    expect(loadConfig({}).delivery.signing).toEqual({ dkim: {} });
  });

  it('reads DKIM keys per domain (lower-cased) and the ARC key, with key files relative to the config file', () => {
    const signing = load([
      'delivery:',
      '  signing:',
      '    dkim:',
      '      Example.ORG.: { selector: s2025, keyFile: keys/example.pem }',
      '      news.example.org: { selector: mail.eu, keyFile: /etc/elemta/news.pem, algorithm: ed25519-sha256, headers: [From, Subject, List-Id] }',
      '    arc: { domain: Example.org, selector: arc1, keyFile: arc.pem }',
    ].join('\n')).delivery.signing;
    expect(signing).toEqual({
      dkim: {
        'example.org': { selector: 's2025', keyFile: join(dir, 'keys/example.pem') },
        'news.example.org': { selector: 'mail.eu', keyFile: '/etc/elemta/news.pem', algorithm: 'ed25519-sha256', headers: ['From', 'Subject', 'List-Id'] },
      },
      arc: { domain: 'example.org', selector: 'arc1', keyFile: join(dir, 'arc.pem') },
    });
  });

  it('names the key and the problem for bad entries', () => {
    expect(problems('delivery: { signing: { dkim: { "not a domain": { selector: s, keyFile: k } } } }'))
      .toMatch(/delivery\.signing\.dkim\.not a domain: must be a domain name/);
    expect(problems('delivery: { signing: { dkim: { a.test: { selector: "bad selector", keyFile: k } } } }'))
      .toMatch(/delivery\.signing\.dkim\.a\.test\.selector: must be a DKIM selector/);
    expect(problems('delivery: { signing: { dkim: { a.test: { selector: s } } } }'))
      .toMatch(/delivery\.signing\.dkim\.a\.test\.keyFile: must be the path of a PEM private key file/);
    expect(problems('delivery: { signing: { dkim: { a.test: { selector: s, keyFile: k, algorithm: rsa-sha1 } } } }'))
      .toMatch(/delivery\.signing\.dkim\.a\.test\.algorithm: must be "rsa-sha256" or "ed25519-sha256"/);
    expect(problems('delivery: { signing: { dkim: { a.test: { selector: s, keyFile: k, headers: [Subject] } } } }'))
      .toMatch(/delivery\.signing\.dkim\.a\.test\.headers: must include From/);
    expect(problems('delivery: { signing: { dkim: { a.test: { selector: s, keyFile: k, headers: ["Bad:Name"] } } } }'))
      .toMatch(/delivery\.signing\.dkim\.a\.test\.headers\.0: must be a header field name/);
    expect(problems('delivery: { signing: { dkim: { a.test: { selector: s, keyFile: k }, A.TEST: { selector: t, keyFile: k } } } }'))
      .toMatch(/delivery\.signing\.dkim\.A\.TEST: is the same domain as "a\.test"/);
    expect(problems('delivery: { signing: { arc: { domain: a.test, selector: s } } }'))
      .toMatch(/delivery\.signing\.arc\.keyFile: must be the path of a PEM private key file/);
    expect(problems('delivery: { signing: { dkim: { a.test: { selector: s, keyFile: k, canonicalization: simple } } } }'))
      .toMatch(/delivery\.signing\.dkim\.a\.test\.canonicalization: unknown key/);
  });
});
