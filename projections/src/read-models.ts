/** What the GraphQL schema reads. Implemented over the PostgreSQL views; the schema never sees SQL. */

export type MessageStatus =
  | 'queued' | 'deferred' | 'held' | 'delivering' | 'delivered' | 'bounced' | 'expired' | 'cancelled' | 'partial';

export type RecipientView = Readonly<{
  address: string;
  domain: string;
  status: 'queued' | 'deferred' | 'held' | 'delivered' | 'bounced' | 'expired' | 'cancelled';
  route: string | null;
  zone: string | null;
}>;

export type MessageView = Readonly<{
  id: string;
  status: MessageStatus;
  mailFrom: string;
  recipients: readonly RecipientView[];
  subject: string | null;
  fromHeader: string | null;
  messageIdHeader: string | null;
  sizeBytes: number;
  bodySha256: string;
  receivedAt: string;
  updatedAt: string;
  listener: string;
  clientAddress: string | null;
  authUser: string | null;
  sessionId: string | null;
  /** The actor of `MessageAccepted`: `api-key:<id>` for mail sent through the API, `smtp:<ip>` over SMTP. */
  submittedBy: string | null;
}>;

export type MessageEventView = Readonly<{
  messageId: string;
  /** 1-based version within the message's stream. */
  version: number;
  position: string;
  type: string;
  schemaVersion: number;
  recordedAt: string;
  data: unknown;
  metadata: Readonly<{ actor: string; correlationId: string; causationId: string | null; node: string; prevHash: string; hash: string }>;
}>;

export type MessageFilter = Readonly<{
  sender?: string;
  recipient?: string;
  messageIdHeader?: string;
  subject?: string;
  status?: readonly MessageStatus[];
  receivedAfter?: string;
  receivedBefore?: string;
  /** Free text: matches sender, any recipient, subject or Message-ID header (case-insensitive substring). */
  search?: string;
  /** Exactly this submitter (`MessageAccepted`'s actor, e.g. `api-key:<id>`): an integrator's own messages. */
  submittedBy?: string;
}>;

export type PageArgs = Readonly<{ first: number; after?: string | null }>;

/** The order of a message list: by received time, then id (the tie-break), newest or oldest first. */
export type MessageOrder = 'received_desc' | 'received_asc';

/**
 * Relay cursor arguments: `first` edges after `after`, or `last` edges before `before` (give one of `first` and
 * `last`; neither means `first` = 25). `after` and `before` may be combined to page within a window.
 */
export type MessagePageArgs = Readonly<{
  first?: number | null; after?: string | null; last?: number | null; before?: string | null; order?: MessageOrder;
}>;

export type Connection<T> = Readonly<{
  edges: readonly { cursor: string; node: T }[];
  pageInfo: Readonly<{ hasNextPage: boolean; endCursor: string | null; hasPreviousPage: boolean; startCursor: string | null }>;
  totalCount: number;
}>;

/** Newest first by default (received time, then id): a cursor stays valid and gap-free while new messages arrive. */
export interface MessageReadModel {
  getMessage(id: string): Promise<MessageView | null>;
  listMessages(filter: MessageFilter, page: MessagePageArgs): Promise<Connection<MessageView>>;
  /** In stream order. */
  getMessageEvents(messageId: string): Promise<MessageEventView[]>;
}
