import { describe, expect, it } from 'vitest';
import { aMessage, execute } from '../testing/fixtures.js';
import { InMemoryMessageReadModel } from '../testing/in-memory-message-read-model.js';
import { executeWith } from '../testing/queue-fakes.js';

const mine = aMessage({ id: '0190f3c2-0000-7000-8000-00000000000a', submittedBy: 'api-key:k1', receivedAt: '2026-11-20T09:31:00.000Z' });
const theirs = aMessage({ id: '0190f3c2-0000-7000-8000-00000000000b', submittedBy: 'api-key:k2' });
const smtp = aMessage({ id: '0190f3c2-0000-7000-8000-00000000000c', submittedBy: 'smtp:192.0.2.10' });
const integrator = { id: 'k1', role: 'integrator' } as const;

describe('what an integrator key may read', () => {
  it('lists only the messages it submitted, whatever the filter asks for', async () => {
    const messages = new InMemoryMessageReadModel([mine, theirs, smtp]);
    const list = async (filter: object) => (await execute(messages, 'query ($f: MessageFilter) { messages(filter: $f) { totalCount edges { node { id submittedBy } } } }',
      { f: filter }, integrator)).data;
    expect(await list({})).toEqual({ messages: { totalCount: 1, edges: [{ node: { id: mine.id, submittedBy: 'api-key:k1' } }] } });
    expect(await list({ submittedBy: 'api-key:k2' })).toEqual({ messages: { totalCount: 0, edges: [] } });
    expect(messages.listCalls.map((c) => c.filter)).toEqual([{ submittedBy: 'api-key:k1' }]);
  });

  it("finds no other key's message by id", async () => {
    const messages = new InMemoryMessageReadModel([mine, theirs]);
    const byId = async (id: string, viewer: { id: string; role: 'integrator' | 'operator' }) =>
      (await execute(messages, `{ message(id: "${id}") { id } }`, {}, viewer)).data;
    expect(await byId(theirs.id, integrator)).toEqual({ message: null });
    expect(await byId(mine.id, integrator)).toEqual({ message: { id: mine.id } });
    expect(await byId(theirs.id, { id: 'op', role: 'operator' })).toEqual({ message: { id: theirs.id } });
  });

  it('may not read the queue, which holds messages of other keys', async () => {
    for (const source of ['{ queue { totalCount } }', '{ queueSummary { total } }']) {
      const result = await executeWith({ viewer: integrator }, source);
      expect(result.data).toBeNull();
      expect(result.errors?.[0]?.extensions).toEqual({ code: 'FORBIDDEN' });
    }
    expect((await executeWith({ viewer: { id: 'a', role: 'auditor' } }, '{ queueSummary { total } }')).errors).toBeUndefined();
  });
});
