import { describe, expect, it } from 'vitest';
import { isNullMx, orderMxTargets } from './mx-order.js';

const sequence = (...values: number[]) => { let i = 0; return () => values[i++ % values.length] as number; };

describe('orderMxTargets', () => {
  it('sorts by ascending preference', () => {
    const targets = [{ exchange: 'c', priority: 30 }, { exchange: 'a', priority: 10 }, { exchange: 'b', priority: 20 }];
    expect(orderMxTargets(targets, Math.random).map((t) => t.exchange)).toEqual(['a', 'b', 'c']);
  });

  it('orders equal preferences as the random source says, keeping groups apart', () => {
    const targets = [{ exchange: 'a', priority: 10 }, { exchange: 'b', priority: 10 }, { exchange: 'z', priority: 5 }];
    const orders = new Set([0, 0.4, 0.6, 0.99].map((v) => orderMxTargets(targets, sequence(v)).map((t) => t.exchange).join()));
    expect([...orders].every((o) => o.startsWith('z,'))).toBe(true);
    expect(orders).toEqual(new Set(['z,a,b', 'z,b,a']));
  });

  it('keeps the most preferred entry of a host listed twice and drops empty exchanges', () => {
    const targets = [{ exchange: 'a', priority: 20 }, { exchange: 'a', priority: 10 }, { exchange: '', priority: 0 }];
    expect(orderMxTargets(targets, Math.random)).toEqual([{ exchange: 'a', priority: 10 }]);
  });
});

describe('isNullMx', () => {
  it('is true only for a single MX whose exchange is the root', () => {
    expect(isNullMx([{ exchange: '', priority: 0 }])).toBe(true);
    expect(isNullMx([{ exchange: '', priority: 0 }, { exchange: 'mx.example', priority: 10 }])).toBe(false);
    expect(isNullMx([{ exchange: 'mx.example', priority: 0 }])).toBe(false);
    expect(isNullMx([])).toBe(false);
  });
});
