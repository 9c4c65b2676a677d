// bench/accept/auth-dns.mjs DIR SIZE — the DNS side of the `elemta-verify` target: a loopback DNS server (the one the
// tests use) publishing example.test's SPF (127.0.0.0/8), DKIM key and DMARC policy (p=reject), plus DIR/message.txt,
// a message of about SIZE bytes DKIM-signed by example.test, for `smtp-source -F`. Writes DIR/dns.port, then serves
// until killed.
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { authenticate, dkimSign } from 'mailauth';
import { startTestDnsServer } from '../../infra/dist/testing/index.js';

const [dir, size = '1024'] = process.argv.slice(2);
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const p = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
const dnsRecords = {
  'example.test': { TXT: ['v=spf1 ip4:127.0.0.0/8 -all'], MX: [{ exchange: 'mx.example.test', priority: 10 }] },
  '_dmarc.example.test': { TXT: ['v=DMARC1; p=reject'] },
  'bench._domainkey.example.test': { TXT: [`v=DKIM1; k=rsa; p=${p}`] },
};
const dns = await startTestDnsServer(dnsRecords);

// smtp-source sends each line of the file with CRLF appended: sign exactly those bytes, write them with LF.
const line = 'The quick brown fox jumps over the lazy dog, and the lazy dog lets it pass.';
const body = Array.from({ length: Math.max(1, Math.ceil(Number(size) / (line.length + 2))) }, () => line);
const headers = ['From: Bench <bench@example.test>', 'To: <rcpt@example.test>', 'Subject: verification benchmark',
  'Date: Sat, 21 Nov 2026 10:00:00 +0000', 'Message-ID: <bench@example.test>'];
const crlf = Buffer.from([...headers, '', ...body, ''].join('\r\n'));
// mailauth 4.13.3 signs only what `signatureData` lists
const { signatures, errors } = await dkimSign(crlf, {
  canonicalization: 'relaxed/relaxed',
  signatureData: [{ signingDomain: 'example.test', selector: 'bench', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) }],
});
if (errors.length > 0) throw errors[0];
const signed = Buffer.concat([Buffer.from(signatures), crlf]);
// Check the message the benchmark will send before serving it: SPF, DKIM and DMARC must all pass against this server.
const resolver = (name, type) => new Promise((resolve, reject) => {
  const record = dnsRecords[name]?.[type];
  if (record) resolve(type === 'TXT' ? record.map((t) => [t]) : record);
  else reject(Object.assign(new Error(`no ${type} for ${name}`), { code: 'ENOTFOUND' }));
});
const check = await authenticate(signed, { ip: '127.0.0.1', helo: 'client.example.test', sender: 'bench@example.test', mta: 'mx.bench.test', resolver, disableBimi: true });
const results = [check.spf?.status?.result, check.dkim?.results?.[0]?.status?.result, check.dmarc?.status?.result];
if (results.some((r) => r !== 'pass')) throw new Error(`the benchmark message does not verify: spf, dkim, dmarc = ${results.join(', ')}`);
writeFileSync(join(dir, 'message.txt'), signed.toString().replace(/\r\n/g, '\n').replace(/\n$/, ''));
writeFileSync(join(dir, 'dns.port'), String(dns.port));
process.on('SIGTERM', () => dns.close().then(() => process.exit(0)));
