import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Role, ZoneSettings } from '../builder.js';
import { emptySummary, executeWith, InMemoryQueueReadModel } from '../testing/queue-fakes.js';

const query = `{ zones { __typename
  ... on ZoneList { zones { name bindAddresses maxConnections throttle { count windowSeconds } domainThrottle { count windowSeconds }
    domainThrottles { domain count windowSeconds } queued deferred held delivering pending oldestAcceptedAt oldestAgeSeconds } }
  ... on Error { code message } } }`;

const zones: ZoneSettings[] = [
  { name: 'default', bindAddresses: [], maxConnections: 100, throttle: null, domainThrottle: null, domainThrottles: [] },
  {
    name: 'bulk', bindAddresses: ['192.0.2.7'], maxConnections: 20, throttle: { count: 100, windowSeconds: 3600 },
    domainThrottle: { count: 10, windowSeconds: 60 }, domainThrottles: [{ domain: 'gmail.com', count: 5, windowSeconds: 60 }],
  },
];

const queue = new InMemoryQueueReadModel([], {
  ...emptySummary,
  total: 4,
  byZone: [{ zone: 'bulk', count: 4, oldestAcceptedAt: '2026-11-20T10:00:00.000Z' }],
  byStatusAndZone: [{ status: 'deferred', zone: 'bulk', count: 2 }, { status: 'held', zone: 'bulk', count: 1 }, { status: 'delivering', zone: 'bulk', count: 1 }],
});

const run = async (role: Role = 'operator') => {
  const response = await executeWith({ queue, zones, viewer: { id: 'key-1', role } }, query);
  expect(response.errors).toBeUndefined();
  return (response.data as { zones: Record<string, unknown> }).zones;
};

describe('Query.zones', () => {
  afterEach(() => vi.useRealTimers());

  it('lists the configured zones by name, with their throttles and what each has in the queue', async () => {
    vi.useFakeTimers({ now: new Date('2026-11-20T10:01:00.500Z'), toFake: ['Date'] });
    expect(await run()).toEqual({ __typename: 'ZoneList', zones: [
      {
        name: 'bulk', bindAddresses: ['192.0.2.7'], maxConnections: 20, throttle: { count: 100, windowSeconds: 3600 },
        domainThrottle: { count: 10, windowSeconds: 60 }, domainThrottles: [{ domain: 'gmail.com', count: 5, windowSeconds: 60 }],
        queued: 0, deferred: 2, held: 1, delivering: 1, pending: 4, oldestAcceptedAt: '2026-11-20T10:00:00.000Z', oldestAgeSeconds: 60,
      },
      {
        name: 'default', bindAddresses: [], maxConnections: 100, throttle: null, domainThrottle: null, domainThrottles: [],
        queued: 0, deferred: 0, held: 0, delivering: 0, pending: 0, oldestAcceptedAt: null, oldestAgeSeconds: null,
      },
    ] });
  });

  it.each(['admin', 'auditor'] as const)('lets the %s role read them', async (role) => {
    expect((await run(role))['__typename']).toBe('ZoneList');
  });

  it('refuses integrators with ForbiddenError', async () => {
    expect(await run('integrator')).toMatchObject({ __typename: 'ForbiddenError', code: 'FORBIDDEN' });
  });
});
