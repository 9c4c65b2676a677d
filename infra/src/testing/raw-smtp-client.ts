import { connect, type Socket } from 'node:net';

export type Reply = { code: number; lines: string[]; text: string };

/** A line-level SMTP client for tests that must send what a well-behaved library never would. */
export class RawSmtpClient {
  private buffer = '';
  private waiting: Array<(reply: Reply) => void> = [];
  private replies: Reply[] = [];
  private current: string[] = [];

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (data: string) => this.onData(data));
  }

  /** `localAddress` picks the client's source address, e.g. 127.0.0.2 to be a client outside the relay networks. */
  static async open(port: number, host = '127.0.0.1', localAddress?: string): Promise<{ client: RawSmtpClient; greeting: Reply }> {
    const socket = connect({ port, host, ...(localAddress ? { localAddress } : {}) });
    await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
    const client = new RawSmtpClient(socket);
    return { client, greeting: await client.next() };
  }

  private onData(data: string): void {
    this.buffer += data;
    let index: number;
    while ((index = this.buffer.indexOf('\r\n')) !== -1) {
      const line = this.buffer.slice(0, index);
      this.buffer = this.buffer.slice(index + 2);
      this.current.push(line);
      if (/^\d{3} /.test(line) || /^\d{3}$/.test(line)) {
        const reply = { code: Number(line.slice(0, 3)), lines: this.current, text: this.current.map((l) => l.slice(4)).join('\n') };
        this.current = [];
        const waiter = this.waiting.shift();
        if (waiter) waiter(reply); else this.replies.push(reply);
      }
    }
  }

  next(timeoutMs = 10_000): Promise<Reply> {
    const ready = this.replies.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no SMTP reply in time')), timeoutMs);
      this.waiting.push((r) => { clearTimeout(timer); resolve(r); });
    });
  }

  async command(line: string): Promise<Reply> {
    this.socket.write(`${line}\r\n`);
    return this.next();
  }

  /** The client's port, as the server records it (SessionStarted's client.port). */
  get localPort(): number {
    return this.socket.localPort ?? 0;
  }

  write(raw: string | Buffer): void {
    this.socket.write(raw);
  }

  closed(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.socket.once('close', () => resolve());
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Sends one message over a fresh connection; returns the DATA reply. */
export const sendRaw = async (port: number, from: string, to: string[], body: string): Promise<Reply> => {
  const { client } = await RawSmtpClient.open(port);
  try {
    await client.command('EHLO client.test');
    const mail = await client.command(`MAIL FROM:<${from}>`);
    if (mail.code !== 250) return mail;
    for (const rcpt of to) await client.command(`RCPT TO:<${rcpt}>`);
    const data = await client.command('DATA');
    if (data.code !== 354) return data;
    client.write(`${body.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..')}\r\n.\r\n`);
    const reply = await client.next();
    await client.command('QUIT').catch(() => undefined);
    return reply;
  } finally {
    client.close();
  }
};
