/** The operations the dashboard sends, and the shapes it reads back (schema/schema.graphql is the source). */

export const MESSAGE_STATUSES = [
  'QUEUED', 'DEFERRED', 'HELD', 'DELIVERING', 'DELIVERED', 'BOUNCED', 'EXPIRED', 'CANCELLED', 'PARTIAL',
] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

export const VIEWER_QUERY = /* GraphQL */ `query Viewer { viewer { id role } }`;
export type ViewerResult = { viewer: { id: string; role: string } | null };

export type MessageFilter = {
  search?: string;
  status?: MessageStatus[];
};

export const MESSAGES_QUERY = /* GraphQL */ `
  query Messages($filter: MessageFilter, $first: Int, $after: String) {
    messages(filter: $filter, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { id status mailFrom recipients { address status } subject messageIdHeader size receivedAt } }
    }
  }`;

export type MessageSummary = {
  id: string;
  status: MessageStatus;
  mailFrom: string;
  recipients: ReadonlyArray<{ address: string; status: MessageStatus }>;
  subject: string | null;
  messageIdHeader: string | null;
  size: number;
  receivedAt: string;
};
export type MessageEdge = { cursor: string; node: MessageSummary };
export type MessagesConnection = {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: MessageEdge[];
};
export type MessagesResult = { messages: MessagesConnection };

export const MESSAGE_QUERY = /* GraphQL */ `
  query Message($id: ID!) {
    message(id: $id) {
      id status mailFrom subject fromHeader messageIdHeader size bodySha256 receivedAt updatedAt
      listener clientAddress authUser sessionId
      recipients { address domain status route zone }
      events { position version type schemaVersion recordedAt data metadata }
    }
  }`;

export type RecipientDetail = {
  address: string;
  domain: string;
  status: MessageStatus;
  route: string | null;
  zone: string | null;
};

/** `data` and `metadata` are JSON scalars; a server may also send them as JSON text. */
export type MessageEventRecord = {
  position: string;
  version: number;
  type: string;
  schemaVersion: number;
  recordedAt: string;
  data: unknown;
  metadata: unknown;
};

export type MessageDetail = {
  id: string;
  status: MessageStatus;
  mailFrom: string;
  subject: string | null;
  fromHeader: string | null;
  messageIdHeader: string | null;
  size: number;
  bodySha256: string | null;
  receivedAt: string;
  updatedAt: string | null;
  listener: string | null;
  clientAddress: string | null;
  authUser: string | null;
  sessionId: string | null;
  recipients: RecipientDetail[];
  events: MessageEventRecord[];
};
export type MessageResult = { message: MessageDetail | null };
