import type {
  Connection, MessageEventView, MessageFilter, MessagePageArgs, MessageReadModel, MessageView,
} from '@elemta/projections';
import { DomainError } from '@elemta/domain';

/**
 * The MessageReadModel port over arrays, for the schema's unit tests. It records every
 * `listMessages` call so tests can assert what the schema passed through. Only `status` and
 * `submittedBy` are filtered, and only forwards; the real semantics are the projections' to test.
 */
export class InMemoryMessageReadModel implements MessageReadModel {
  readonly listCalls: { filter: MessageFilter; page: MessagePageArgs }[] = [];

  constructor(
    private readonly messages: readonly MessageView[],
    private readonly events: readonly MessageEventView[] = [],
  ) {}

  async getMessage(id: string): Promise<MessageView | null> {
    return this.messages.find((m) => m.id === id) ?? null;
  }

  async getMessageEvents(messageId: string): Promise<MessageEventView[]> {
    return this.events.filter((e) => e.messageId === messageId).sort((a, b) => a.version - b.version);
  }

  async listMessages(filter: MessageFilter, page: MessagePageArgs): Promise<Connection<MessageView>> {
    this.listCalls.push({ filter, page });
    const matching = this.messages
      .filter((m) => !filter.status || filter.status.includes(m.status))
      .filter((m) => filter.submittedBy === undefined || m.submittedBy === filter.submittedBy)
      .sort((a, b) => b.receivedAt.localeCompare(a.receivedAt) || b.id.localeCompare(a.id));
    const start = page.after ? matching.findIndex((m) => m.id === page.after) + 1 : 0;
    if (start === 0 && page.after) throw new DomainError('INVALID_CURSOR', `unknown cursor ${page.after}`);
    const nodes = matching.slice(start, start + (page.first ?? 25));
    return {
      edges: nodes.map((node) => ({ cursor: node.id, node })),
      pageInfo: {
        hasNextPage: start + nodes.length < matching.length,
        hasPreviousPage: start > 0,
        startCursor: nodes[0]?.id ?? null,
        endCursor: nodes.at(-1)?.id ?? null,
      },
      totalCount: matching.length,
    };
  }
}
