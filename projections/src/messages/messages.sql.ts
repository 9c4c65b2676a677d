import type pg from 'pg';
import type { Migration } from '../projection.js';
import type { MessageRow } from './messages.fold.js';

export const messagesMigrations: readonly Migration[] = [{
  id: 'projections/0002-messages',
  sql: `
  CREATE TABLE messages (
    id uuid PRIMARY KEY,
    status text NOT NULL,
    mail_from text NOT NULL,
    recipients jsonb NOT NULL,
    recipient_addresses text[] NOT NULL, -- lower-cased, for the GIN index
    subject text,
    from_header text,
    message_id_header text,
    size_bytes bigint NOT NULL,
    body_sha256 text NOT NULL,
    received_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    listener text NOT NULL,
    client_address text,
    auth_user text,
    session_id text
  );
  CREATE INDEX messages_received_idx ON messages (received_at DESC, id DESC);
  CREATE INDEX messages_mail_from_idx ON messages (lower(mail_from));
  CREATE INDEX messages_message_id_header_idx ON messages (message_id_header);
  CREATE INDEX messages_status_idx ON messages (status, received_at DESC);
  CREATE INDEX messages_recipients_idx ON messages USING GIN (recipient_addresses);`,
}, {
  // v2 of the fold: who submitted the message (MessageAccepted's actor), so an integrator's key lists only its own.
  // Existing rows are filled in by `views-0002-messages-submitted-by` (views.ts), from the timeline.
  id: 'projections/messages-0002-submitted-by',
  sql: `
  ALTER TABLE messages ADD COLUMN submitted_by text;
  CREATE INDEX messages_submitted_by_idx ON messages (submitted_by, received_at DESC, id DESC);`,
}, {
  // A sender's page (newest first, any status filter) is a range of this index in order instead of a walk through
  // every newer message; its count is an index-only scan (status and mail_from are included). Measured on 100,000
  // messages by read/message-sender.explain.int.test.ts and bench/graphql.
  id: 'projections/messages-0003-sender-index',
  sql: `
  DROP INDEX IF EXISTS messages_mail_from_idx;
  CREATE INDEX messages_sender_idx ON messages (lower(mail_from), received_at DESC, id DESC) INCLUDE (mail_from, status);`,
}];

// Timestamps travel as ISO text (to_json keeps microseconds), so a row read back and rewritten is unchanged.
const SELECT_ROWS = `
  SELECT id::text AS "id", status AS "status", mail_from AS "mailFrom", recipients AS "recipients",
         subject AS "subject", from_header AS "fromHeader", message_id_header AS "messageIdHeader",
         size_bytes::float8 AS "sizeBytes", body_sha256 AS "bodySha256",
         to_json(received_at) #>> '{}' AS "receivedAt", to_json(updated_at) #>> '{}' AS "updatedAt",
         listener AS "listener", client_address AS "clientAddress", auth_user AS "authUser", session_id AS "sessionId",
         submitted_by AS "submittedBy"
    FROM messages WHERE id = ANY($1::uuid[])`;

/** The rows of these messages, in one query. */
export const loadMessageRows = async (tx: pg.PoolClient, ids: readonly string[]): Promise<Map<string, MessageRow>> => {
  if (ids.length === 0) return new Map();
  const { rows } = await tx.query<MessageRow>({ name: 'elemta_messages_load', text: SELECT_ROWS, values: [ids] });
  return new Map(rows.map((r) => [r.id, r]));
};

const UPSERT = `
  INSERT INTO messages (id, status, mail_from, recipients, recipient_addresses, subject, from_header, message_id_header,
                        size_bytes, body_sha256, received_at, updated_at, listener, client_address, auth_user, session_id,
                        submitted_by)
  SELECT r.id, r.status, r."mailFrom", r.recipients,
         ARRAY(SELECT lower(x ->> 'address') FROM jsonb_array_elements(r.recipients) AS x),
         r.subject, r."fromHeader", r."messageIdHeader", r."sizeBytes", r."bodySha256", r."receivedAt", r."updatedAt",
         r.listener, r."clientAddress", r."authUser", r."sessionId", r."submittedBy"
    FROM jsonb_to_recordset($1::jsonb) AS r(
      id uuid, status text, "mailFrom" text, recipients jsonb, subject text, "fromHeader" text, "messageIdHeader" text,
      "sizeBytes" bigint, "bodySha256" text, "receivedAt" timestamptz, "updatedAt" timestamptz, listener text,
      "clientAddress" text, "authUser" text, "sessionId" text, "submittedBy" text)
  ON CONFLICT (id) DO UPDATE SET
    status = EXCLUDED.status, mail_from = EXCLUDED.mail_from, recipients = EXCLUDED.recipients,
    recipient_addresses = EXCLUDED.recipient_addresses, subject = EXCLUDED.subject, from_header = EXCLUDED.from_header,
    message_id_header = EXCLUDED.message_id_header, size_bytes = EXCLUDED.size_bytes, body_sha256 = EXCLUDED.body_sha256,
    received_at = EXCLUDED.received_at, updated_at = EXCLUDED.updated_at, listener = EXCLUDED.listener,
    client_address = EXCLUDED.client_address, auth_user = EXCLUDED.auth_user, session_id = EXCLUDED.session_id,
    submitted_by = EXCLUDED.submitted_by`;

/** Writes the folded rows back: one upsert for the rows that exist, one delete for those that became null. */
export const saveMessageRows = async (tx: pg.PoolClient, rows: ReadonlyMap<string, MessageRow | null>): Promise<void> => {
  const upserts = [...rows.values()].filter((r): r is MessageRow => r !== null);
  const deletes = [...rows].filter(([, r]) => r === null).map(([id]) => id);
  if (upserts.length > 0) await tx.query({ name: 'elemta_messages_upsert', text: UPSERT, values: [JSON.stringify(upserts)] });
  if (deletes.length > 0) await tx.query('DELETE FROM messages WHERE id = ANY($1::uuid[])', [deletes]);
};
