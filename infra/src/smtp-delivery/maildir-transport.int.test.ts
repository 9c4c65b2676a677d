import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createMaildirTransport } from './maildir-transport.js';
import type { DeliveryRequest } from './transport-types.js';

let root: string;
beforeEach(async () => { root = await mkdtemp(join(tmpdir(), 'elemta-maildir-')); });
afterEach(async () => { await rm(root, { recursive: true, force: true }); });

const body = Buffer.concat([Buffer.from('Subject: bytes\r\n\r\n'), Buffer.from([0, 1, 0xff, 0xfe, 0x0d, 0x0a])]);
const request = (recipients: string[]): DeliveryRequest => ({
  messageId: 'm-1', attemptId: 'a-1', mailFrom: 's@origin.test', recipients, domain: 'local.test', body, localAddress: null,
});

it('writes each recipient a file in new/ that reads back byte for byte', async () => {
  const report = await createMaildirTransport({ root }).deliver(request(['Alice@local.test', 'bob@local.test']));

  expect(report.outcomes.map((o) => o.status)).toEqual(['delivered', 'delivered']);
  for (const box of ['alice', 'bob']) {
    expect((await readdir(join(root, box))).sort()).toEqual(['cur', 'new', 'tmp']);
    const files = await readdir(join(root, box, 'new'));
    expect(files).toHaveLength(1);
    expect((await readFile(join(root, box, 'new', files[0] as string))).equals(body)).toBe(true);
    expect(await readdir(join(root, box, 'tmp'))).toEqual([]);
  }
});

it('bounces local parts that are unsafe as a path and delivers the rest', async () => {
  const unsafe = ['../etc@local.test', 'a/b@local.test', '.@local.test', '..@local.test', '@local.test', 'nul\0l@local.test'];
  const report = await createMaildirTransport({ root }).deliver(request([...unsafe, 'ok@local.test']));

  expect(report.outcomes.slice(0, unsafe.length).every((o) => o.status === 'bounced' && o.reply.code === 550 && o.reply.enhancedCode === '5.1.1')).toBe(true);
  expect(report.outcomes.at(-1)?.status).toBe('delivered');
  expect(await readdir(root)).toEqual(['ok']);
});

it('defers with 4.3.0 when the Maildir cannot be written', async () => {
  const notADirectory = join(root, 'file');
  await writeFile(notADirectory, 'x');
  const report = await createMaildirTransport({ root: notADirectory }).deliver(request(['a@local.test']));

  expect(report.outcomes[0]).toMatchObject({ status: 'deferred', reply: { code: 451, enhancedCode: '4.3.0', text: 'maildir delivery failed (ENOTDIR)' } });
});
