import { describe, expect, it } from 'vitest';
import type { RecipientView } from '@elemta/projections';
import { aMessage, execute } from '../testing/fixtures.js';
import { InMemoryMessageReadModel } from '../testing/in-memory-message-read-model.js';

const recipient = (overrides: Partial<RecipientView>): RecipientView =>
  ({ address: 'bob@example.net', domain: 'example.net', status: 'queued', route: 'relay', zone: 'default', ...overrides });

const captured = async (recipients: RecipientView[]) => {
  const result = await execute(new InMemoryMessageReadModel([aMessage({ recipients })]), `{ message(id: "${aMessage().id}") { captured } }`);
  return (result.data as { message: { captured: boolean } }).message.captured;
};

describe('Message.captured', () => {
  it('is true once a recipient was delivered through the capture route', async () => {
    expect(await captured([recipient({ status: 'delivered', route: 'capture' }), recipient({ status: 'bounced' })])).toBe(true);
  });

  it('is false while captured recipients are pending and for mail delivered elsewhere', async () => {
    expect(await captured([recipient({ status: 'queued', route: 'capture' })])).toBe(false);
    expect(await captured([recipient({ status: 'delivered', route: 'relay' }), recipient({ status: 'queued', route: null })])).toBe(false);
  });
});
