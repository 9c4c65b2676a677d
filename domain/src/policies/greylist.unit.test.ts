import { describe, expect, it } from 'vitest';
import {
  decideGreylist, greylistTriplet, normalizeGreylistSender,
  type GreylistClientRecord, type GreylistDecision, type GreylistRecord, type GreylistSettings,
} from './greylist.js';

const settings: GreylistSettings = { delaySeconds: 300, expireSeconds: 4 * 3600, autoWhitelistSeconds: 35 * 86_400, whitelistClientAfter: 5 };
const t0 = Date.parse('2026-11-20T10:00:00Z');
const at = (secondsAfterT0: number) => t0 + secondsAfterT0 * 1000;

/** given(triplet record, client record).when(now in seconds after t0).then(decision) */
const given = (triplet: GreylistRecord | null, client: GreylistClientRecord | null = null, options: GreylistSettings = settings) => ({
  when: (nowSeconds: number) => ({
    then: (expected: GreylistDecision) => expect(decideGreylist({ triplet, client, nowMs: at(nowSeconds) }, options)).toEqual(expected),
  }),
});

const seenAt = (first: number, last = first, passedCount = 0): GreylistRecord => ({ firstSeenMs: at(first), lastSeenMs: at(last), passedCount });

describe('greylist decision', () => {
  it('defers a triplet seen for the first time and remembers it', () =>
    given(null).when(0).then({
      verdict: { kind: 'defer', retryInSeconds: 300, why: 'first-seen' }, triplet: seenAt(0), client: 'none',
    }));

  it('defers a retry that comes too early, saying how long is left, and writes nothing (the first attempt time stays)', () =>
    given(seenAt(0)).when(120).then({
      verdict: { kind: 'defer', retryInSeconds: 180, why: 'too-early' }, triplet: null, client: 'none',
    }));

  it('rounds the time left up to a whole second', () =>
    given(seenAt(0)).when(299.2).then({
      verdict: { kind: 'defer', retryInSeconds: 1, why: 'too-early' }, triplet: null, client: 'none',
    }));

  it('passes a retry after the delay and counts a new passed triplet for the client network', () =>
    given(seenAt(0, 120)).when(300).then({
      verdict: { kind: 'pass', why: 'retried' }, triplet: seenAt(0, 300, 1), client: 'newTriplet',
    }));

  it('passes a retry right up to the expiry', () =>
    given(seenAt(0)).when(4 * 3600).then({ verdict: { kind: 'pass', why: 'retried' }, triplet: seenAt(0, 4 * 3600, 1), client: 'newTriplet' }));

  it('starts over when the first attempt expired without a retry in time', () =>
    given(seenAt(0, 100)).when(4 * 3600 + 1).then({
      verdict: { kind: 'defer', retryInSeconds: 300, why: 'first-seen' }, triplet: seenAt(4 * 3600 + 1), client: 'none',
    }));

  it('keeps passing a triplet that passed, at once, refreshing its last-seen time once it is an hour old', () =>
    given(seenAt(0, 300, 1)).when(86_400).then({
      verdict: { kind: 'pass', why: 'whitelisted-triplet' }, triplet: seenAt(0, 86_400, 1), client: 'seen',
    }));

  it('passes a whitelisted triplet seen less than an hour ago without writing anything', () =>
    given(seenAt(0, 300, 1)).when(300 + 3599).then({ verdict: { kind: 'pass', why: 'whitelisted-triplet' }, triplet: null, client: 'none' }));

  it('starts over for a passed triplet unseen for longer than the auto-whitelist period', () =>
    given(seenAt(0, 300, 3)).when(300 + 35 * 86_400 + 1).then({
      verdict: { kind: 'defer', retryInSeconds: 300, why: 'first-seen' }, triplet: seenAt(300 + 35 * 86_400 + 1), client: 'none',
    }));

  it('passes any triplet of a client network with enough passed triplets, leaving the triplet alone', () =>
    given(null, { passedTriplets: 5, lastSeenMs: at(0) }).when(3600).then({
      verdict: { kind: 'pass', why: 'whitelisted-client' }, triplet: null, client: 'seen',
    }));

  it('passes a whitelisted client network seen less than an hour ago without writing anything', () =>
    given(null, { passedTriplets: 5, lastSeenMs: at(0) }).when(600).then({ verdict: { kind: 'pass', why: 'whitelisted-client' }, triplet: null, client: 'none' }));

  it('does not whitelist a client network below the threshold', () =>
    given(null, { passedTriplets: 4, lastSeenMs: at(0) }).when(3600).then({
      verdict: { kind: 'defer', retryInSeconds: 300, why: 'first-seen' }, triplet: seenAt(3600), client: 'none',
    }));

  it('forgets a whitelisted client network unseen for longer than the auto-whitelist period', () =>
    given(null, { passedTriplets: 50, lastSeenMs: at(0) }).when(35 * 86_400 + 1).then({
      verdict: { kind: 'defer', retryInSeconds: 300, why: 'first-seen' }, triplet: seenAt(35 * 86_400 + 1), client: 'none',
    }));

  it('never whitelists client networks when whitelistClientAfter is 0', () =>
    given(null, { passedTriplets: 1000, lastSeenMs: at(0) }, { ...settings, whitelistClientAfter: 0 }).when(10).then({
      verdict: { kind: 'defer', retryInSeconds: 300, why: 'first-seen' }, triplet: seenAt(10), client: 'none',
    }));

  it('treats a clock that went backwards as no time passed', () =>
    given(seenAt(100)).when(50).then({
      verdict: { kind: 'defer', retryInSeconds: 300, why: 'too-early' }, triplet: null, client: 'none',
    }));
});

describe('greylist triplet', () => {
  const prefixes = { ipv4: 24, ipv6: 64 };

  it('reduces the client to its /24 or /64 and lower-cases the addresses', () => {
    expect(greylistTriplet({ clientAddress: '192.0.2.77', sender: 'Alice@Example.ORG', recipient: 'Bob@Example.NET' }, prefixes))
      .toEqual({ clientNetwork: '192.0.2.0/24', sender: 'alice@example.org', recipient: 'bob@example.net' });
    expect(greylistTriplet({ clientAddress: '2001:db8:1:2::99', sender: '', recipient: 'b@x.test' }, prefixes).clientNetwork)
      .toBe('2001:db8:1:2::/64');
  });

  it('gives retries from another address of the same pool the same triplet', () => {
    const one = greylistTriplet({ clientAddress: '198.51.100.10', sender: 'a@x.test', recipient: 'b@y.test' }, prefixes);
    const two = greylistTriplet({ clientAddress: '::ffff:198.51.100.200', sender: 'a@x.test', recipient: 'b@y.test' }, prefixes);
    expect(two).toEqual(one);
  });

  it('compares senders without BATV tags and with digits folded (VERP)', () => {
    expect(normalizeGreylistSender('prvs=0123abcd45=Alice@example.org')).toBe('alice@example.org');
    expect(normalizeGreylistSender('bounce-12345-678@lists.example.org')).toBe(normalizeGreylistSender('bounce-99-1@lists.example.org'));
    expect(normalizeGreylistSender('')).toBe('');
  });
});
