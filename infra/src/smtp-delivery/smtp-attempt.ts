import type { SmtpReply } from '@elemta/domain';
import type { SmtpPoolSet } from './smtp-connection-pool.js';
import {
  isTlsError, outcomesFromError, outcomesFromSendInfo, outcomesWithReply, sharedReplyOfError, type Peer,
} from './smtp-outcome.js';
import type { SessionInfo, SessionSettings } from './smtp-session.js';
import type { DeliveryReport, DeliveryRequest, RecipientOutcome } from './transport-types.js';

/**
 * One try at one peer address:
 * - `final`: the peer answered the transaction (or a 5xx before it), or the session broke after MAIL FROM was sent;
 *   the outcomes stand and no other host is tried (RFC 5321 §5.1).
 * - `unreachable`: no session came about (refused, timeout, 4xx greeting or EHLO, TLS failure); the next address or
 *   MX may be tried, and `reply` says why this one was not used.
 */
export type PeerAttempt =
  | Readonly<{ kind: 'final'; outcomes: readonly RecipientOutcome[]; session: SessionInfo | null; peer: Peer }>
  | Readonly<{ kind: 'unreachable'; reply: SmtpReply; peer: Peer }>;

export type PeerTarget = Readonly<{ settings: SessionSettings; peer: Peer }>;

/**
 * Sends the request's one transaction to one peer. With opportunistic TLS, a failed handshake is retried once in
 * plaintext to the same address (what Postfix does for `may`), since an unverified channel protects nothing the
 * plaintext one does not.
 */
export const attemptPeer = async (pools: SmtpPoolSet, target: PeerTarget, request: DeliveryRequest): Promise<PeerAttempt> => {
  const { settings, peer } = target;
  const result = await pools.poolFor(settings).send({ mailFrom: request.mailFrom, recipients: request.recipients }, request.body);
  if (result.ok) return { kind: 'final', outcomes: outcomesFromSendInfo(request.recipients, result.info), session: result.session, peer };
  const { error, stage } = result;
  if (stage !== 'connect') {
    return { kind: 'final', outcomes: outcomesFromError(request.recipients, error, peer, stage), session: result.session, peer };
  }
  if (isTlsError(error) && !error.response && settings.tls === 'opportunistic') {
    return attemptPeer(pools, { settings: { ...settings, tls: 'none' }, peer }, request);
  }
  const reply = sharedReplyOfError(error, peer, 'connect', 'CONNECT');
  // A 5xx greeting or EHLO is the host's permanent answer, and the message's outcome.
  if (typeof error.responseCode === 'number' && error.responseCode >= 500 && reply.code >= 500) {
    return { kind: 'final', outcomes: outcomesWithReply(request.recipients, reply), session: null, peer };
  }
  return { kind: 'unreachable', reply, peer };
};

/** The report of an attempt; `startedAt` is a `performance.now()` reading. */
export const reportOf = (
  request: DeliveryRequest, attempt: PeerAttempt | null, outcomes: readonly RecipientOutcome[], startedAt: number,
): DeliveryReport => {
  const session = attempt?.kind === 'final' ? attempt.session : null;
  const reached = attempt?.kind === 'final';
  return {
    outcomes,
    mxHost: reached ? attempt.peer.host : null,
    mxAddress: reached ? (session?.remoteAddress ?? attempt.peer.address) : null,
    localAddress: session?.localAddress ?? request.localAddress,
    tls: session?.tls ?? null,
    durationMs: Math.max(0, Math.round(performance.now() - startedAt)),
  };
};

/** Outcomes when every address was unreachable: deferred with the last reason (a 4xx by construction). */
export const unreachableOutcomes = (request: DeliveryRequest, last: SmtpReply | null, what: string): RecipientOutcome[] =>
  outcomesWithReply(request.recipients, last ?? { code: 451, enhancedCode: '4.4.4', text: `no usable address for ${what}`, command: 'CONNECT' });

export type TimeoutOptions = Readonly<{ connectTimeoutMs?: number; greetingTimeoutMs?: number; socketTimeoutMs?: number }>;

/** RFC 5321 §4.5.3.2 asks for minutes per command; a delivery worker should not wait that long for a dead peer. */
export const timeoutsOf = (options: TimeoutOptions) => ({
  connectTimeoutMs: options.connectTimeoutMs ?? 30_000,
  greetingTimeoutMs: options.greetingTimeoutMs ?? 60_000,
  socketTimeoutMs: options.socketTimeoutMs ?? 300_000,
});
