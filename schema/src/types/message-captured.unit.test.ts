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

describe('Message.raw', () => {
  const raw = async (role: 'admin' | 'auditor' | 'operator' | 'integrator') => {
    // submitted by this key, so that an integrator sees the message at all
    const mine = aMessage({ submittedBy: 'api-key:k1' });
    const result = await execute(new InMemoryMessageReadModel([mine]), `{ message(id: "${mine.id}") { raw } }`, {}, { id: 'k1', role });
    return (result.data as { message: { raw: string | null } }).message.raw;
  };

  it('gives the stored message to roles that may read bodies', async () => {
    expect(await raw('admin')).toBe('Subject: hi\r\n\r\nbody\r\n');
    expect(await raw('auditor')).toBe('Subject: hi\r\n\r\nbody\r\n');
  });

  it('gives nothing to the other roles', async () => {
    expect(await raw('operator')).toBeNull();
    expect(await raw('integrator')).toBeNull();
  });
});
