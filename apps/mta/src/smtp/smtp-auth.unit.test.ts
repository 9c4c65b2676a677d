import { describe, expect, it } from 'vitest';
import { decideAuth, failureDelayMs, type AuthDeps, type AuthPolicy } from './smtp-auth.js';

const policy: AuthPolicy = { allowInsecureAuth: false, maxFailures: 3, failureDelayMs: 1000 };

/** In-memory users and failure counts (our own ports), plus a recording sleep. */
const fakes = (users: Record<string, string> = { alice: 'pw' }) => {
  const failures = new Map<string, number>();
  const slept: number[] = [];
  let verified = 0;
  const deps: AuthDeps = {
    users: { verify: async (u, p) => { verified++; return users[u.toLowerCase()] === p ? u.toLowerCase() : null; } },
    failures: {
      recent: async (keys) => Math.max(0, ...keys.map((k) => failures.get(k) ?? 0)),
      record: async (keys) => { for (const k of keys) failures.set(k, (failures.get(k) ?? 0) + 1); },
      clear: async (keys) => { for (const k of keys) failures.delete(k); },
    },
  };
  return { deps, failures, slept, verified: () => verified };
};
const attempt = (password: string, remoteAddress = '127.0.0.1', username = 'alice') => ({ username, password, remoteAddress, secure: true });

describe('SMTP AUTH decisions', () => {
  it('lets a user in with the right password, whatever the case of the name', async () => {
    const { deps } = fakes();
    expect(await decideAuth(deps, policy, attempt('pw', '127.0.0.1', 'Alice'))).toEqual({ outcome: 'success', user: 'alice' });
  });

  it('answers 535 5.7.8 to a wrong password and records the failure per IP and per user', async () => {
    const { deps, failures } = fakes();
    expect(await decideAuth(deps, policy, attempt('nope'))).toMatchObject({ outcome: 'failure', code: 535, enhancedCode: '5.7.8' });
    expect(Object.fromEntries(failures)).toEqual({ 'ip:127.0.0.1': 1, 'user:alice': 1 });
  });

  it('delays each further failure longer, then answers 454 4.7.0 without checking the password', async () => {
    const { deps, slept, verified } = fakes();
    for (let i = 0; i < 3; i++) {
      const decision = await decideAuth(deps, policy, attempt('nope'));
      if (decision.outcome !== 'success') slept.push(decision.delayMs);
    }
    expect(slept).toEqual([0, 1000, 2000]);
    const before = verified();
    expect(await decideAuth(deps, policy, attempt('pw'))).toMatchObject({ outcome: 'throttled', code: 454, enhancedCode: '4.7.0' });
    expect(verified()).toBe(before);
  });

  it('throttles a user attacked from many addresses, and an address trying many users', async () => {
    const { deps } = fakes({ alice: 'pw', bob: 'pw' });
    for (let i = 0; i < 3; i++) await decideAuth(deps, policy, attempt('nope', `::ffff:127.0.0.${i + 1}`));
    expect((await decideAuth(deps, policy, attempt('pw', '127.0.0.9'))).outcome).toBe('throttled');
    expect((await decideAuth(deps, policy, attempt('pw', '127.0.0.9', 'bob'))).outcome).toBe('success');
    for (const name of ['carol', 'dave', 'erin']) await decideAuth(deps, policy, attempt('x', '127.0.0.7', name));
    expect((await decideAuth(deps, policy, attempt('pw', '127.0.0.7', 'bob'))).outcome).toBe('throttled');
  });

  it('forgets a user\'s failures once the user gets in', async () => {
    const { deps, failures } = fakes();
    await decideAuth(deps, policy, attempt('nope'));
    await decideAuth(deps, policy, attempt('pw'));
    expect(failures.has('user:alice')).toBe(false);
    expect(failures.get('ip:127.0.0.1')).toBe(1);
  });

  it('requires TLS, from loopback clients too, unless the listener allows insecure AUTH', async () => {
    const { deps, verified } = fakes();
    const plain = (address: string) => ({ ...attempt('pw', address), secure: false });
    expect(await decideAuth(deps, policy, plain('192.0.2.10'))).toMatchObject({ outcome: 'encryption_required', code: 538, enhancedCode: '5.7.11' });
    expect(await decideAuth(deps, policy, plain('::1'))).toMatchObject({ outcome: 'encryption_required', code: 538 });
    expect(verified()).toBe(0);
    expect((await decideAuth(deps, policy, attempt('pw', '192.0.2.10'))).outcome).toBe('success');
    expect((await decideAuth(deps, { ...policy, allowInsecureAuth: true }, plain('192.0.2.10'))).outcome).toBe('success');
  });

  it('answers 454 4.7.0 and lets nobody in when the user store fails', async () => {
    const { deps } = fakes();
    const broken: AuthDeps = { ...deps, users: { verify: async () => { throw new Error('connection refused'); } } };
    expect(await decideAuth(broken, policy, attempt('pw'))).toMatchObject({ outcome: 'error', code: 454, enhancedCode: '4.7.0' });
  });
});

describe('failureDelayMs', () => {
  it('grows 0, 1, 2, 4, 8 times the base and stays there', () => {
    expect([0, 1, 2, 3, 4, 5, 20].map((n) => failureDelayMs(n, 1000))).toEqual([0, 1000, 2000, 4000, 8000, 8000, 8000]);
  });
});
