import { Readable } from 'node:stream';
import type { AttemptStage, SmtpClientError, SmtpSendInfo } from './smtp-outcome.js';
import { openSession, sessionKey, type OpenSession, type SessionInfo, type SessionSettings } from './smtp-session.js';

export type PoolLimits = Readonly<{ maxConnections: number; maxMessagesPerConnection: number; idleTimeoutMs: number }>;

export const defaultPoolLimits: PoolLimits = { maxConnections: 5, maxMessagesPerConnection: 100, idleTimeoutMs: 30_000 };

export type SmtpEnvelope = Readonly<{ mailFrom: string; recipients: readonly string[] }>;

export type SendResult =
  | Readonly<{ ok: true; info: SmtpSendInfo; session: SessionInfo }>
  | Readonly<{ ok: false; error: SmtpClientError; stage: AttemptStage; session: SessionInfo | null }>;

type Pooled = { session: OpenSession; messages: number; idleTimer: NodeJS.Timeout | null };

const EIGHT_BIT = /[\x80-\xff]/;

/**
 * Reused sessions to one peer (one `SessionSettings`): at most `maxConnections` open, each carrying at most
 * `maxMessagesPerConnection` transactions and closed after `idleTimeoutMs` unused. Built on nodemailer's
 * SMTPConnection rather than its SMTPPool, because the pool does not say which connection (so which TLS session and
 * source address) carried a message, and it silently re-sends messages whose connection dropped.
 * `send` never rejects: failures come back as `{ ok: false }` with the stage they happened in.
 */
export class SmtpConnectionPool {
  private readonly idle: Pooled[] = [];
  private readonly waiters: Array<() => void> = [];
  private open = 0;
  private closed = false;

  constructor(readonly settings: SessionSettings, private readonly limits: PoolLimits) {}

  /** Sessions open right now (busy and idle). */
  get size(): number {
    return this.open;
  }

  async send(envelope: SmtpEnvelope, body: Buffer): Promise<SendResult> {
    let pooled: Pooled;
    try {
      pooled = await this.acquire();
    } catch (error) {
      return { ok: false, error: error as SmtpClientError, stage: 'connect', session: null };
    }
    const result = await this.transact(pooled, envelope, body);
    // A reused session the peer had quietly closed: nothing was sent, so one fresh session may try again.
    if (!result.ok && result.retryable && pooled.messages > 1) return this.send(envelope, body);
    return result.ok ? { ok: true, info: result.info, session: pooled.session.info }
      : { ok: false, error: result.error, stage: result.stage, session: pooled.session.info };
  }

  /** Closes idle sessions at once (QUIT) and busy ones when their transaction ends; later sends fail. */
  async close(): Promise<void> {
    this.closed = true;
    for (const pooled of this.idle.splice(0)) this.discard(pooled, true);
    for (const wake of this.waiters.splice(0)) wake();
  }

  private async acquire(): Promise<Pooled> {
    for (;;) {
      if (this.closed) throw { message: 'connection pool closed', code: 'ECONNECTION', command: 'API' } satisfies SmtpClientError;
      const pooled = this.idle.pop();
      if (pooled) {
        if (pooled.idleTimer) clearTimeout(pooled.idleTimer);
        pooled.idleTimer = null;
        if (!pooled.session.isBroken()) return pooled;
        this.discard(pooled, false);
        continue;
      }
      if (this.open < this.limits.maxConnections) return this.connect();
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private async connect(): Promise<Pooled> {
    this.open++;
    try {
      const session = await openSession(this.settings);
      const pooled: Pooled = { session, messages: 0, idleTimer: null };
      // The peer may end an idle session (RFC 5321 §4.5.3.2.7); forget it at once.
      session.connection.once('end', () => this.forgetIdle(pooled));
      return pooled;
    } catch (error) {
      this.open--;
      this.waiters.shift()?.();
      throw error;
    }
  }

  private transact(pooled: Pooled, envelope: SmtpEnvelope, body: Buffer) {
    type Outcome = Readonly<{ ok: true; info: SmtpSendInfo }>
      | Readonly<{ ok: false; error: SmtpClientError; stage: AttemptStage; retryable: boolean }>;
    pooled.messages++;
    // A stream tells whether any of the body was read, i.e. whether DATA got as far as sending it.
    // The socket is corked while the body and its final dot pass through nodemailer's dot-stuffing stream, so a
    // small message leaves in one write instead of two (each write to a socket is a system call and a wake-up).
    const socket = pooled.session.connection._socket || null;
    const stream = new Readable({
      read() {
        socket?.cork();
        this.push(body);
        this.push(null);
        setImmediate(() => socket?.uncork());
      },
    });
    const smtpEnvelope = {
      from: envelope.mailFrom, to: [...envelope.recipients], size: body.length, use8BitMime: EIGHT_BIT.test(body.toString('latin1')),
    };
    return new Promise<Outcome>((resolve) => {
      pooled.session.connection.send(smtpEnvelope, stream, (err, info) => {
        if (!err && info) {
          this.release(pooled, true);
          return resolve({ ok: true, info });
        }
        const error: SmtpClientError = err ?? { message: 'no result from the SMTP client', code: 'EPROTOCOL' };
        const bodySent = stream.readableDidRead;
        const answered = typeof error.responseCode === 'number' && error.responseCode !== 421;
        // Resolved once the session is back in the pool, so the next message can use it.
        this.afterFailure(pooled, answered, () => resolve({
          ok: false, error, stage: bodySent ? 'data' : 'envelope',
          retryable: !bodySent && !error.responseCode && (error.code === 'ECONNECTION' || error.code === 'ESOCKET'),
        }));
      });
    });
  }

  /** A refused transaction leaves the session usable after RSET (RFC 5321 §4.1.1.5); anything else ends it. */
  private afterFailure(pooled: Pooled, answered: boolean, then: () => void): void {
    if (!answered || pooled.session.isBroken()) {
      this.release(pooled, false);
      return then();
    }
    pooled.session.connection.reset((err) => {
      this.release(pooled, !err);
      then();
    });
  }

  private release(pooled: Pooled, reusable: boolean): void {
    const keep = reusable && !this.closed && !pooled.session.isBroken()
      && pooled.messages < this.limits.maxMessagesPerConnection;
    if (!keep) {
      this.discard(pooled, reusable);
      this.waiters.shift()?.();
      return;
    }
    pooled.idleTimer = setTimeout(() => {
      this.forgetIdle(pooled);
      pooled.session.connection.quit();
    }, this.limits.idleTimeoutMs);
    pooled.idleTimer.unref();
    this.idle.push(pooled);
    this.waiters.shift()?.();
  }

  private forgetIdle(pooled: Pooled): void {
    const index = this.idle.indexOf(pooled);
    if (index === -1) return;
    this.idle.splice(index, 1);
    if (pooled.idleTimer) clearTimeout(pooled.idleTimer);
    this.open--;
    this.waiters.shift()?.();
  }

  private discard(pooled: Pooled, polite: boolean): void {
    if (pooled.idleTimer) clearTimeout(pooled.idleTimer);
    this.open--;
    if (polite && !pooled.session.isBroken()) pooled.session.connection.quit();
    else pooled.session.connection.close();
  }
}

/** One pool per peer, created on first use; `close()` closes them all. Safe for any number of concurrent sends. */
export class SmtpPoolSet {
  private readonly pools = new Map<string, SmtpConnectionPool>();

  constructor(private readonly limits: PoolLimits) {}

  poolFor(settings: SessionSettings): SmtpConnectionPool {
    const key = sessionKey(settings);
    let pool = this.pools.get(key);
    if (!pool) {
      // Pools without sessions hold nothing worth keeping; dropping them bounds the map by the open sessions.
      for (const [k, idle] of this.pools) if (idle.size === 0) this.pools.delete(k);
      pool = new SmtpConnectionPool(settings, this.limits);
      this.pools.set(key, pool);
    }
    return pool;
  }

  /** Sessions open across all pools. */
  get openSessions(): number {
    let total = 0;
    for (const pool of this.pools.values()) total += pool.size;
    return total;
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((pool) => pool.close()));
  }
}
