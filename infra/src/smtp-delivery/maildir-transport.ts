import { randomBytes } from 'node:crypto';
import { mkdir, open, rename } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { SmtpReply } from '@elemta/domain';
import { statusOfCode } from './smtp-outcome.js';
import type { DeliveryRequest, RecipientOutcome, Transport } from './transport-types.js';

export type MaildirTransportOptions = Readonly<{
  /** Each recipient's Maildir is `<root>/<local part, lower-cased>/`. */
  root: string;
}>;

const reply = (code: number, enhancedCode: string, text: string): SmtpReply => ({ code, enhancedCode, text, command: 'MAILDIR' });
const outcome = (recipient: string, r: SmtpReply): RecipientOutcome => ({ recipient, status: statusOfCode(r.code), reply: r });

/** The mailbox directory name of a recipient, or null when its local part is not safe as one path segment. */
export const maildirNameOf = (recipient: string): string | null => {
  const at = recipient.lastIndexOf('@');
  const local = (at === -1 ? recipient : recipient.slice(0, at)).toLowerCase();
  if (local === '' || local === '.' || local === '..' || /[/\\\0]/.test(local)) return null;
  return local;
};

// Maildir file names must not contain '/' or ':' (the latter separates the info suffix in cur/).
const safeHost = hostname().replace(/\//g, '\\057').replace(/:/g, '\\072');

/** `<seconds>.<pid>_<random>.<host>`: unique across processes and hosts sharing the directory (maildir(5)). */
const uniqueName = (): string =>
  `${Math.floor(Date.now() / 1000)}.${process.pid}_${randomBytes(8).toString('hex')}.${safeHost}`;

const fsyncPath = async (path: string): Promise<void> => {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
};

/** Creates `tmp`, `new` and `cur`; directories this call created are made durable in their parents. */
const ensureMaildir = async (root: string, mailbox: string): Promise<void> => {
  const created = await mkdir(join(mailbox, 'tmp'), { recursive: true });
  await mkdir(join(mailbox, 'new'), { recursive: true });
  await mkdir(join(mailbox, 'cur'), { recursive: true });
  if (created === undefined) return;
  await fsyncPath(mailbox);
  await fsyncPath(root);
};

/** Writes to tmp/, fsyncs the file, renames into new/ and fsyncs new/, so a delivered message survives a power cut. */
const writeMessage = async (root: string, mailbox: string, body: Buffer): Promise<string> => {
  await ensureMaildir(root, mailbox);
  const name = uniqueName();
  const tmpPath = join(mailbox, 'tmp', name);
  const handle = await open(tmpPath, 'wx', 0o600);
  try {
    await handle.writeFile(body);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmpPath, join(mailbox, 'new', name));
  await fsyncPath(join(mailbox, 'new'));
  return name;
};

const deliverOne = async (root: string, recipient: string, body: Buffer): Promise<RecipientOutcome> => {
  const name = maildirNameOf(recipient);
  if (name === null) {
    return outcome(recipient, reply(550, '5.1.1', `<${recipient}>: local part is not a valid mailbox name`));
  }
  try {
    const file = await writeMessage(root, join(root, name), body);
    return outcome(recipient, reply(250, '2.0.0', `delivered to maildir ${name} as ${file}`));
  } catch (error) {
    // ENOSPC, EACCES, EIO…: local trouble that may pass, never the recipient's fault (RFC 3463 X.3.0).
    const code = (error as NodeJS.ErrnoException).code ?? 'EUNKNOWN';
    return outcome(recipient, reply(451, '4.3.0', `maildir delivery failed (${code})`));
  }
};

/** Local delivery into Maildirs under `root`; recipients are written independently and concurrently. */
export const createMaildirTransport = (options: MaildirTransportOptions): Transport => ({
  kind: 'maildir',
  async deliver(request: DeliveryRequest) {
    const startedAt = performance.now();
    const outcomes = await Promise.all(request.recipients.map((r) => deliverOne(options.root, r, request.body)));
    return {
      outcomes, mxHost: null, mxAddress: null, localAddress: null, tls: null,
      durationMs: Math.max(0, Math.round(performance.now() - startedAt)),
    };
  },
  close: async () => {},
});
