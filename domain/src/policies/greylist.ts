import { ipNetwork, parseIpAddress } from './ip-address.js';

/** What greylisting remembers: the client's network, the envelope sender and the recipient. */
export type GreylistTriplet = Readonly<{ clientNetwork: string; sender: string; recipient: string }>;

/** A triplet's history; times are epoch milliseconds of the database clock. */
export type GreylistRecord = Readonly<{ firstSeenMs: number; lastSeenMs: number; passedCount: number }>;

/** A client network's history: how many distinct triplets of it passed, and when one last passed. */
export type GreylistClientRecord = Readonly<{ passedTriplets: number; lastSeenMs: number }>;

export type GreylistSettings = Readonly<{
  /** A retry is accepted this long after the first attempt at the earliest. */
  delaySeconds: number;
  /** A triplet that was never retried successfully is forgotten this long after its first attempt. */
  expireSeconds: number;
  /** A triplet (or client network) that passed keeps passing until it has not been seen for this long. */
  autoWhitelistSeconds: number;
  /** After this many passed triplets the whole client network passes; 0 turns this off. */
  whitelistClientAfter: number;
}>;

export type GreylistVerdict =
  | Readonly<{ kind: 'pass'; why: 'retried' | 'whitelisted-triplet' | 'whitelisted-client' }>
  | Readonly<{ kind: 'defer'; retryInSeconds: number; why: 'first-seen' | 'too-early' }>;

export type GreylistDecision = Readonly<{
  verdict: GreylistVerdict;
  /** The triplet's record after this attempt; null leaves it as it was. */
  triplet: GreylistRecord | null;
  /** How the client network's record changes: `none`, `seen` (a pass: last seen is now) or `newTriplet` (also one more passed triplet). */
  client: 'none' | 'seen' | 'newTriplet';
}>;

export type GreylistState = Readonly<{ triplet: GreylistRecord | null; client: GreylistClientRecord | null; nowMs: number }>;

const seconds = (ms: number): number => Math.max(0, ms) / 1000;

/**
 * How stale a whitelisted record's last-seen time may get before a pass refreshes it. Only "seen within
 * autoWhitelist" is ever read, so refreshing on every recipient would be a write (and, for a client network, a
 * row lock shared by all its connections) per RCPT for nothing.
 */
const refreshAfterSeconds = (settings: GreylistSettings): number => Math.min(3600, settings.autoWhitelistSeconds / 10);

const restart = (nowMs: number, settings: GreylistSettings, why: 'first-seen'): GreylistDecision => ({
  verdict: { kind: 'defer', retryInSeconds: Math.max(1, Math.ceil(settings.delaySeconds)), why },
  triplet: { firstSeenMs: nowMs, lastSeenMs: nowMs, passedCount: 0 },
  client: 'none',
});

/**
 * Greylisting (RFC 6647): a triplet seen for the first time is deferred; a retry at least `delay` after the first
 * attempt and within `expire` of it passes, and from then on the triplet passes at once for as long as it keeps
 * being seen within `autoWhitelist`. A client network with `whitelistClientAfter` passed triplets passes at once too
 * (a client that has retried properly will retry properly again). An unretried triplet older than
 * `expire`, or a whitelisted one unseen for longer than `autoWhitelist`, starts over.
 */
export const decideGreylist = (state: GreylistState, settings: GreylistSettings): GreylistDecision => {
  const { triplet, client, nowMs } = state;
  if (client && settings.whitelistClientAfter > 0 && client.passedTriplets >= settings.whitelistClientAfter
    && seconds(nowMs - client.lastSeenMs) <= settings.autoWhitelistSeconds) {
    const stale = seconds(nowMs - client.lastSeenMs) >= refreshAfterSeconds(settings);
    return { verdict: { kind: 'pass', why: 'whitelisted-client' }, triplet: null, client: stale ? 'seen' : 'none' };
  }
  if (!triplet) return restart(nowMs, settings, 'first-seen');
  if (triplet.passedCount > 0) {
    if (seconds(nowMs - triplet.lastSeenMs) > settings.autoWhitelistSeconds) return restart(nowMs, settings, 'first-seen');
    const stale = seconds(nowMs - triplet.lastSeenMs) >= refreshAfterSeconds(settings);
    return {
      verdict: { kind: 'pass', why: 'whitelisted-triplet' },
      triplet: stale ? { ...triplet, lastSeenMs: nowMs } : null,
      client: stale ? 'seen' : 'none',
    };
  }
  const waited = seconds(nowMs - triplet.firstSeenMs);
  if (waited > settings.expireSeconds) return restart(nowMs, settings, 'first-seen');
  if (waited < settings.delaySeconds) {
    return {
      verdict: { kind: 'defer', retryInSeconds: Math.max(1, Math.ceil(settings.delaySeconds - waited)), why: 'too-early' },
      triplet: null, // nothing read depends on an unpassed triplet's last attempt
      client: 'none',
    };
  }
  return { verdict: { kind: 'pass', why: 'retried' }, triplet: { ...triplet, lastSeenMs: nowMs, passedCount: 1 }, client: 'newTriplet' };
};

/**
 * A sender as greylisting compares it: lower case, without a BATV tag (`prvs=1234abcd=user@…`, draft-levine-smtp-batv)
 * and with every run of digits in the local part replaced by `#`, so that VERP and BATV senders, which change on
 * every attempt, still match their own retry (the normalisation postgrey uses).
 */
export const normalizeGreylistSender = (sender: string): string => {
  const lower = sender.toLowerCase();
  const at = lower.lastIndexOf('@');
  if (at < 0) return lower;
  const local = lower.slice(0, at).replace(/^(prvs|msprvs1|btv1)=[^=]+=/, '').replace(/\d+/g, '#');
  return `${local}@${lower.slice(at + 1)}`;
};

/**
 * The triplet of one recipient: the client address reduced to its network (`/24` and `/64` by default, because
 * large senders retry from another address of the same pool), the normalised sender (`''` for the null sender) and
 * the recipient in lower case.
 */
export const greylistTriplet = (
  input: Readonly<{ clientAddress: string; sender: string; recipient: string }>,
  prefixes: Readonly<{ ipv4: number; ipv6: number }>,
): GreylistTriplet => {
  const ip = parseIpAddress(input.clientAddress);
  return {
    clientNetwork: ip ? ipNetwork(ip, prefixes) : input.clientAddress.toLowerCase(),
    sender: normalizeGreylistSender(input.sender),
    recipient: input.recipient.toLowerCase(),
  };
};
