'use client';

import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { formatAddress, formatBytes, formatTimestamp } from '../lib/format';
import type { MessageEdge, MessageSummary } from '../lib/queries';
import { StatusBadge } from './status-badge';

export const messageHref = (id: string): string => `/message/?id=${encodeURIComponent(id)}`;

const Recipients = ({ message }: { message: MessageSummary }) => {
  const [first, ...rest] = message.recipients;
  if (!first) return <span className="muted">—</span>;
  const all = message.recipients.map((r) => `${r.address} (${r.status.toLowerCase()})`).join('\n');
  return (
    <span title={all}>
      {first.address}
      {rest.length > 0 && <span className="more"> +{rest.length}</span>}
    </span>
  );
};

const Row = ({ edge }: { edge: MessageEdge }) => {
  const router = useRouter();
  const m = edge.node;
  const href = messageHref(m.id);
  return (
    // The whole row opens the message; the subject link keeps it reachable by keyboard and middle-click.
    <tr data-testid="message-row" data-message-id={m.id} onClick={() => router.push(href)} className="clickable">
      <td className="nowrap mono" title={m.receivedAt}>{formatTimestamp(m.receivedAt)}</td>
      <td className="ellipsis" title={formatAddress(m.mailFrom)}>{formatAddress(m.mailFrom)}</td>
      <td className="ellipsis"><Recipients message={m} /></td>
      <td className="ellipsis subject">
        <Link href={href} onClick={(e) => e.stopPropagation()} data-testid="message-link">
          {m.subject ?? <span className="muted">(no subject)</span>}
        </Link>
      </td>
      <td><StatusBadge status={m.status} /></td>
      <td className="num nowrap">{formatBytes(m.size)}</td>
    </tr>
  );
};

/** Dense table of messages, newest first as the server orders them. */
export const MessageTable = ({ rows }: { rows: readonly MessageEdge[] }) => (
  <table className="data-table messages-table" data-testid="messages-table">
    <colgroup>
      <col className="col-time" /><col className="col-from" /><col className="col-to" />
      <col /><col className="col-status" /><col className="col-size" />
    </colgroup>
    <thead>
      <tr>
        <th>Received</th><th>From</th><th>To</th><th>Subject</th><th>Status</th><th className="num">Size</th>
      </tr>
    </thead>
    <tbody>
      {rows.map((edge) => <Row key={edge.node.id} edge={edge} />)}
    </tbody>
  </table>
);
