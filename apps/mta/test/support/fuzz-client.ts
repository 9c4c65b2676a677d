import { connect, type Socket } from 'node:net';

/** One complete SMTP reply (all lines of a multi-line one); code 0 when a line was not `ddd[ -]text`. */
export type FuzzReply = Readonly<{ code: number; text: string }>;

/**
 * A raw SMTP client for input no library would send: bytes go out as given, replies are read one at a time, and the
 * server closing the connection is an answer (`'closed'`) rather than an error. Socket errors after the server hung
 * up (ECONNRESET, EPIPE) are expected and swallowed.
 */
export class FuzzClient {
  private buffer = '';
  private current: string[] = [];
  private readonly replies: FuzzReply[] = [];
  private waiter: (() => void) | null = null;
  private ended = false;
  readonly closed: Promise<void>;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (data: Buffer) => this.onData(data.toString('latin1')));
    socket.on('error', () => { /* the server may reset a connection it refused */ });
    this.closed = new Promise((resolve) => socket.once('close', () => {
      this.ended = true;
      this.wake();
      resolve();
    }));
  }

  static open(port: number, host = '127.0.0.1'): Promise<FuzzClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, host);
      socket.once('connect', () => resolve(new FuzzClient(socket)));
      socket.once('error', reject);
    });
  }

  get isClosed(): boolean {
    return this.ended;
  }

  write(bytes: Buffer | string): void {
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(bytes);
  }

  /** The next reply, `'closed'` if the connection ended first; rejects when nothing comes within `timeoutMs`. */
  async reply(timeoutMs: number): Promise<FuzzReply | 'closed'> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ready = this.replies.shift();
      if (ready) return ready;
      if (this.ended) return 'closed';
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => { this.waiter = null; resolve(); }, left);
        this.waiter = () => { clearTimeout(timer); this.waiter = null; resolve(); };
      });
    }
  }

  /** True when no reply arrives within `ms` (and the connection stays open). */
  async silent(ms: number): Promise<boolean> {
    return this.reply(ms).then(() => false, () => true);
  }

  /** Waits for the server to close; false if it has not within `timeoutMs`. */
  async closedWithin(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), timeoutMs); });
    const result = await Promise.race([this.closed.then(() => true), timeout]);
    clearTimeout(timer);
    return result;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onData(data: string): void {
    this.buffer += data;
    let index: number;
    while ((index = this.buffer.indexOf('\r\n')) !== -1) {
      const line = this.buffer.slice(0, index);
      this.buffer = this.buffer.slice(index + 2);
      const match = /^(\d{3})([ -]|$)/.exec(line);
      if (!match) {
        this.push({ code: 0, text: line });
        continue;
      }
      this.current.push(line.slice(4));
      if (match[2] !== '-') {
        this.push({ code: Number(match[1]), text: this.current.join('\n') });
        this.current = [];
      }
    }
  }

  private push(reply: FuzzReply): void {
    this.replies.push(reply);
    this.wake();
  }

  private wake(): void {
    this.waiter?.();
  }
}
