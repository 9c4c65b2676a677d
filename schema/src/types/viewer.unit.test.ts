import { expect, it } from 'vitest';
import { execute } from '../testing/fixtures.js';
import { InMemoryMessageReadModel } from '../testing/in-memory-message-read-model.js';

it('tells the caller who they are and their role', async () => {
  const result = await execute(new InMemoryMessageReadModel([]), '{ viewer { id role } }', undefined, { id: 'key-7', role: 'integrator' });
  expect(result).toEqual({ data: { viewer: { id: 'key-7', role: 'INTEGRATOR' } } });
});
