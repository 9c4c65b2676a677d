import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { generateDkimKey, RSA_KEY_SIZES, txtCharacterStrings } from '@elemta/infra/mailauth';
import { UsageError, parseOptions, withUsage } from './cli-args.js';

const USAGE = `Usage: elemta dkim keygen --domain <domain> --selector <selector> [--algorithm rsa|ed25519] [--bits 2048] [--out <file>]
Writes a new private key (mode 0600; an existing file is never overwritten; default <domain>.<selector>.dkim.pem in the
current directory), then prints the DNS TXT record to publish and the configuration to add.`;

/** sysexits.h EX_CANTCREAT: the output file cannot be created. */
const EX_CANTCREAT = 73;

const DOMAIN = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+\.?$/;
const SELECTOR = /^[A-Za-z0-9]([A-Za-z0-9_-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9_-]*[A-Za-z0-9])?)*$/;

type KeygenOptions = Readonly<{ domain: string; selector: string; algorithm: 'rsa' | 'ed25519'; bits: number | undefined; out: string }>;

const keygenOptions = (argv: readonly string[]): KeygenOptions => {
  const { values } = parseOptions(argv, {
    domain: { type: 'string' }, selector: { type: 'string' }, algorithm: { type: 'string' }, bits: { type: 'string' }, out: { type: 'string' },
  });
  const domain = values.domain?.trim().toLowerCase().replace(/\.$/, '');
  if (!domain || !DOMAIN.test(domain)) throw new UsageError('--domain must be a domain name such as example.org');
  const selector = values.selector?.trim();
  if (!selector || !SELECTOR.test(selector)) throw new UsageError('--selector must be DNS labels such as s2025 or mail.eu');
  const algorithm = values.algorithm ?? 'rsa';
  if (algorithm !== 'rsa' && algorithm !== 'ed25519') throw new UsageError('--algorithm must be rsa or ed25519');
  let bits: number | undefined;
  if (values.bits !== undefined) {
    if (algorithm !== 'rsa') throw new UsageError('--bits applies to rsa keys only');
    bits = Number(values.bits);
    if (!(RSA_KEY_SIZES as readonly number[]).includes(bits)) throw new UsageError(`--bits must be one of ${RSA_KEY_SIZES.join(', ')}`);
  }
  return { domain, selector, algorithm, bits, out: resolve(values.out ?? `${domain}.${selector}.dkim.pem`) };
};

/** `name. IN TXT "…" "…"`: a zone-file line, the value in character-strings of at most 255 octets (RFC 1035 §3.3.14). */
export const txtRecordLine = (name: string, value: string): string =>
  `${name}. IN TXT ${txtCharacterStrings(value).map((s) => `"${s}"`).join(' ')}`;

/**
 * `elemta dkim keygen`: makes a DKIM key pair for `delivery.signing.dkim`. Needs no configuration, database or
 * running server. Exit codes: 0 done, 64 bad arguments, 73 the key file exists or cannot be written.
 */
export const dkimCommand = (argv: readonly string[]): Promise<number> => withUsage(USAGE, async () => {
  const [sub, ...rest] = argv;
  if (sub !== 'keygen') throw new UsageError(sub ? `unknown dkim command: ${sub}` : 'give a dkim command');
  const o = keygenOptions(rest);
  const key = generateDkimKey({ algorithm: o.algorithm, ...(o.bits ? { bits: o.bits } : {}) });
  try {
    // 'wx': never replace a key that may already be published and in use
    writeFileSync(o.out, key.privateKeyPem, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    const exists = (err as { code?: string }).code === 'EEXIST';
    console.error(`elemta: ${exists ? `${o.out} exists; not overwriting it (choose another --out or selector)` : `cannot write ${o.out}: ${(err as Error).message}`}`);
    return EX_CANTCREAT;
  }
  console.log([
    `Wrote the private key to ${o.out} (mode 0600). Keep it secret.`,
    '',
    'Publish this DNS TXT record:',
    '',
    `  ${txtRecordLine(`${o.selector}._domainkey.${o.domain}`, key.dnsRecord)}`,
    '',
    'Then add this to the configuration file (YAML):',
    '',
    '  delivery:',
    '    signing:',
    '      dkim:',
    `        ${o.domain}:`,
    `          selector: ${o.selector}`,
    `          keyFile: ${JSON.stringify(o.out)}`,
    `          algorithm: ${key.algorithm}`,
    ...(o.algorithm === 'ed25519'
      ? ['', 'Note: many receivers do not check Ed25519 signatures yet (RFC 8463); an RSA key is the safe choice for a domain\'s only key.']
      : []),
  ].join('\n'));
  return 0;
});
