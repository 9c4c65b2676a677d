// bench/mailauth/run.mjs — CPU per message of mailauth's `authenticate` (SPF, DKIM, DMARC, ARC) on one thread, as
// mailauth 4.13.3 ships it and as Elemta loads it (infra/dist/mailauth/mailauth-library.js: cached key parsing,
// SPF/DMARC reuse, header-end scan). Each variant runs in a process of its own, with an in-memory resolver (no DNS
// cost), on the message bench/accept sends: 1 KiB, DKIM-signed (relaxed/relaxed, RSA 2048), Elemta's Received on top.
//
//   npm run build && node bench/mailauth/run.mjs [N=5000]
//
// Prints a table: microseconds per message over N messages after N/2 of warm-up, three rounds, median.
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { createRequire } from 'node:module';

const [, script, mode, count] = process.argv;
const N = Number(mode === 'raw' || mode === 'elemta' ? count : mode) || 5000;

if (mode !== 'raw' && mode !== 'elemta') {
  const rows = ['raw', 'elemta'].map((variant) => {
    const run = spawnSync(process.execPath, [script, variant, String(N)], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`${variant}: ${run.stderr}`);
    return [variant, JSON.parse(run.stdout)];
  });
  console.log(`mailauth authenticate, ${N} messages per round, median of 3 rounds (µs per message)\n`);
  console.log('| variant | authenticate | dkimVerify |\n|---|---|---|');
  for (const [variant, r] of rows) console.log(`| ${variant === 'raw' ? 'mailauth 4.13.3 as shipped' : 'as Elemta loads it'} | ${r.authenticate} | ${r.dkimVerify} |`);
  process.exit(0);
}

const root = new URL('../../', import.meta.url);
const mailauth = mode === 'raw'
  ? createRequire(new URL('infra/package.json', root))('mailauth')
  : (await import(new URL('infra/dist/mailauth/mailauth-library.js', root).href)).mailauth;

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const records = {
  'example.test': ['v=spf1 ip4:127.0.0.0/8 -all'],
  '_dmarc.example.test': ['v=DMARC1; p=reject'],
  'bench._domainkey.example.test': [`v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`],
};
const resolver = async (name, type) => {
  if (type === 'TXT' && records[name]) return records[name].map((t) => [t]);
  throw Object.assign(new Error(`no ${type} for ${name}`), { code: 'ENOTFOUND' });
};
const line = 'The quick brown fox jumps over the lazy dog, and the lazy dog lets it pass.';
const message = Buffer.from([
  'From: Bench <bench@example.test>', 'To: <rcpt@example.test>', 'Subject: verification benchmark',
  'Date: Sat, 21 Nov 2026 10:00:00 +0000', 'Message-ID: <bench@example.test>', '', ...Array.from({ length: 13 }, () => line), '',
].join('\r\n'));
const { signatures } = await mailauth.dkimSign(message, {
  canonicalization: 'relaxed/relaxed',
  signatureData: [{ signingDomain: 'example.test', selector: 'bench', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) }],
});
const received = 'Received: from client.example.test ([127.0.0.1]) by mx.bench.test with ESMTP; Sat, 21 Nov 2026 10:00:01 +0000\r\n';
const signed = Buffer.concat([Buffer.from(received), Buffer.from(signatures), message]);
const options = { ip: '127.0.0.1', helo: 'client.example.test', sender: 'bench@example.test', mta: 'mx.bench.test', resolver, disableBimi: true };

const check = await mailauth.authenticate(signed, options);
const outcome = [check.spf.status.result, check.dkim.results[0].status.result, check.dmarc.status.result];
if (outcome.some((r) => r !== 'pass')) throw new Error(`the message does not verify: ${outcome.join(', ')}`);

const measure = async (fn) => {
  for (let i = 0; i < N / 2; i++) await fn();
  const rounds = [];
  for (let round = 0; round < 3; round++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < N; i++) await fn();
    rounds.push(Number(process.hrtime.bigint() - started) / 1000 / N);
  }
  return Number(rounds.sort((a, b) => a - b)[1].toFixed(1));
};
const result = {
  authenticate: await measure(() => mailauth.authenticate(signed, options)),
  dkimVerify: await measure(() => mailauth.dkimVerify(signed, { resolver, sender: 'bench@example.test' })),
};
process.stdout.write(JSON.stringify(result));
