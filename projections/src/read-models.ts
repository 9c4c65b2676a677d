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
}>;

export type PageArgs = Readonly<{ first: number; after?: string | null }>;

export type Connection<T> = Readonly<{
  edges: readonly { cursor: string; node: T }[];
  pageInfo: Readonly<{ hasNextPage: boolean; endCursor: string | null; hasPreviousPage: boolean; startCursor: string | null }>;
  totalCount: number;
}>;

/** Newest first (received time, then id): a cursor stays valid and gap-free while new messages arrive. */
export interface MessageReadModel {
  getMessage(id: string): Promise<MessageView | null>;
  listMessages(filter: MessageFilter, page: PageArgs): Promise<Connection<MessageView>>;
  /** In stream order. */
  getMessageEvents(messageId: string): Promise<MessageEventView[]>;
}
