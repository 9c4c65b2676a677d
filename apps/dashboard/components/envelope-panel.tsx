import type { ReactNode } from 'react';
import { formatAddress, formatBytes, formatTimestamp } from '../lib/format';
import type { MessageDetail } from '../lib/queries';
import { StatusBadge } from './status-badge';

const Field = ({ label, children, testId }: { label: string; children: ReactNode; testId?: string }) => (
  <>
    <dt>{label}</dt>
    <dd data-testid={testId}>{children ?? <span className="muted">—</span>}</dd>
  </>
);

const orDash = (value: string | null | undefined): ReactNode => (value ? value : <span className="muted">—</span>);

/** The SMTP envelope and where the message came from. */
export const EnvelopePanel = ({ message }: { message: MessageDetail }) => (
  <section className="panel" data-testid="envelope">
    <h2>Envelope</h2>
    <dl className="fields">
      <Field label="MAIL FROM" testId="envelope-mail-from"><span className="mono">{formatAddress(message.mailFrom)}</span></Field>
      <Field label="RCPT TO">
        <table className="data-table compact" data-testid="envelope-recipients">
          <thead><tr><th>Recipient</th><th>Status</th><th>Route</th><th>Zone</th></tr></thead>
          <tbody>
            {message.recipients.map((r) => (
              <tr key={r.address} data-testid="envelope-recipient" data-address={r.address}>
                <td className="mono">{r.address}</td>
                <td><StatusBadge status={r.status} /></td>
                <td className="mono">{orDash(r.route)}</td>
                <td className="mono">{orDash(r.zone)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Field>
      <Field label="Client">{orDash(message.clientAddress)}</Field>
      <Field label="Listener">{orDash(message.listener)}</Field>
      <Field label="Auth user">{orDash(message.authUser)}</Field>
      <Field label="Session"><span className="mono">{orDash(message.sessionId)}</span></Field>
    </dl>
  </section>
);

/** What the headers said, and the body's identity. */
export const ContentPanel = ({ message }: { message: MessageDetail }) => (
  <section className="panel" data-testid="content">
    <h2>Content</h2>
    <dl className="fields">
      <Field label="From">{orDash(message.fromHeader)}</Field>
      <Field label="Subject" testId="header-subject">{orDash(message.subject)}</Field>
      <Field label="Message-ID"><span className="mono">{orDash(message.messageIdHeader)}</span></Field>
      <Field label="Size">{formatBytes(message.size)} <span className="muted">({message.size.toLocaleString('en-US')} bytes)</span></Field>
      <Field label="Body SHA-256"><span className="mono break">{orDash(message.bodySha256)}</span></Field>
      <Field label="Received"><span title={message.receivedAt}>{formatTimestamp(message.receivedAt)}</span></Field>
      <Field label="Updated"><span title={message.updatedAt ?? ''}>{formatTimestamp(message.updatedAt)}</span></Field>
      <Field label="Message ID"><span className="mono">{message.id}</span></Field>
    </dl>
  </section>
);
