import { rootCertificates, TLSSocket } from 'node:tls';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { SmtpClientError } from './smtp-outcome.js';

/**
 * - `opportunistic`: STARTTLS when the peer offers it, certificate not checked (Postfix `smtp_tls_security_level = may`);
 *   a refused STARTTLS continues in plaintext.
 * - `required-verified`: STARTTLS (or implicit TLS) is mandatory and the certificate must verify against `servername`
 *   and the system CAs plus the configured ones (Postfix `secure`).
 * - `none`: plaintext; used to retry a host whose opportunistic TLS handshake failed.
 */
export type TlsPolicy = 'opportunistic' | 'required-verified';
export type SessionTls = TlsPolicy | 'none';

/** How to open one SMTP or LMTP session with one peer. */
export type SessionSettings = Readonly<{
  /** The address (or host name) to connect to. */
  host: string;
  port: number;
  /** The name the certificate must match and the SNI to send (the MX host name); null: `host`. */
  servername: string | null;
  localAddress: string | null;
  heloName: string;
  tls: SessionTls;
  /** Implicit TLS from the first byte (SMTPS, RFC 8314) instead of STARTTLS. */
  secure: boolean;
  /** Extra trust anchors for `required-verified`, added to the system's. */
  ca: readonly Buffer[];
  auth: Readonly<{ user: string; pass: string }> | null;
  lmtp: boolean;
  connectTimeoutMs: number;
  greetingTimeoutMs: number;
  socketTimeoutMs: number;
}>;

export type SessionTlsInfo = Readonly<{ protocol: string; cipher: string }>;

/** What the transport reports about the connection that carried a message. */
export type SessionInfo = Readonly<{ remoteAddress: string | null; localAddress: string | null; tls: SessionTlsInfo | null }>;

/** Pool key: one pool per peer address, port, source address and TLS handling. */
export const sessionKey = (s: SessionSettings): string =>
  JSON.stringify([s.host, s.port, s.localAddress, s.tls, s.secure, s.servername, s.lmtp, s.auth?.user ?? null]);

const connectionOptions = (s: SessionSettings): SMTPConnection.Options => ({
  host: s.host,
  port: s.port,
  secure: s.secure,
  name: s.heloName,
  lmtp: s.lmtp,
  ...(s.localAddress ? { localAddress: s.localAddress } : {}),
  ...(s.servername ? { servername: s.servername } : {}),
  connectionTimeout: s.connectTimeoutMs,
  greetingTimeout: s.greetingTimeoutMs,
  socketTimeout: s.socketTimeoutMs,
  ignoreTLS: s.tls === 'none',
  requireTLS: s.tls === 'required-verified',
  opportunisticTLS: s.tls === 'opportunistic',
  tls: s.tls === 'required-verified'
    ? { rejectUnauthorized: true, ca: [...rootCertificates, ...s.ca.map((c) => c.toString('utf8'))] }
    : { rejectUnauthorized: false },
  logger: false,
});

/** An open, greeted (and, as configured, TLS-upgraded and authenticated) session. */
export type OpenSession = Readonly<{
  connection: SMTPConnection;
  info: SessionInfo;
  /** True once the connection reported an error or ended; it must not be used again. */
  isBroken: () => boolean;
}>;

const tlsOf = (socket: unknown): SessionTlsInfo | null => {
  if (!(socket instanceof TLSSocket)) return null;
  const cipher = socket.getCipher();
  return { protocol: socket.getProtocol() ?? cipher.version, cipher: cipher.name };
};

const sessionInfoOf = (connection: SMTPConnection): SessionInfo => {
  const socket = connection._socket;
  if (!socket) return { remoteAddress: null, localAddress: null, tls: null };
  return { remoteAddress: socket.remoteAddress ?? null, localAddress: socket.localAddress ?? null, tls: tlsOf(socket) };
};

/**
 * Opens a session: TCP (bound to `localAddress`), greeting, EHLO/LHLO, STARTTLS per policy, AUTH when configured.
 * Rejects with nodemailer's error (code, response, command) when any of that fails; the connection is then closed.
 */
export const openSession = (settings: SessionSettings): Promise<OpenSession> =>
  new Promise((resolve, reject) => {
    const connection = new SMTPConnection(connectionOptions(settings));
    let settled = false;
    let broken = false;
    const fail = (err: SmtpClientError) => {
      broken = true;
      if (settled) return;
      settled = true;
      connection.close();
      // A failed certificate check arrives as a plain socket error; what was going on says it was TLS.
      reject(connection.upgrading && err.code !== 'ETLS' ? { ...err, message: err.message, code: 'ETLS' } : err);
    };
    // Always listening: an EventEmitter 'error' without a listener would throw.
    connection.on('error', fail);
    connection.once('end', () => {
      broken = true;
      if (!settled) fail({ message: 'connection closed before the session started', code: 'ECONNECTION', command: 'CONN' });
    });
    const ready = () => {
      if (settled) return;
      settled = true;
      resolve({ connection, info: sessionInfoOf(connection), isBroken: () => broken || connection.destroyed });
    };
    connection.connect((err) => {
      if (err) return fail(err);
      if (!settings.auth) return ready();
      connection.login({ credentials: { user: settings.auth.user, pass: settings.auth.pass } }, (loginErr) =>
        loginErr ? fail(loginErr) : ready());
    });
  });
