import { asJson, formatPreciseTime, isRecord, shortHash } from '../lib/format';
import { readEventMetadata, summarizeEvent } from '../lib/event-summary';
import type { MessageEventRecord } from '../lib/queries';
import { findSmtpReplies, formatSmtpReply, replyClass } from '../lib/smtp-reply';

/** Keys sorted, because jsonb hands them back ordered by length, which is hard to scan. */
const sortKeys = (value: unknown): unknown =>
  Array.isArray(value) ? value.map(sortKeys)
    : isRecord(value) ? Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys(value[k])]))
      : value;

const pretty = (value: unknown): string => JSON.stringify(sortKeys(value), null, 2) ?? 'null';

const Replies = ({ data }: { data: unknown }) => {
  const replies = findSmtpReplies(data);
  if (replies.length === 0) return null;
  return (
    <ul className="smtp-replies" data-testid="smtp-replies">
      {replies.map(({ path, reply }) => (
        <li key={path} className={`smtp-reply smtp-${replyClass(reply)}`}>
          <span className="smtp-label">{reply.command ? `after ${reply.command}` : path}</span>
          <pre className="smtp-text">{formatSmtpReply(reply)}</pre>
        </li>
      ))}
    </ul>
  );
};

const TimelineEntry = ({ event }: { event: MessageEventRecord }) => {
  const data = asJson(event.data);
  const metadata = asJson(event.metadata);
  const meta = readEventMetadata(metadata);
  const summary = summarizeEvent(event.type, data);
  return (
    <li className="timeline-entry" data-testid="timeline-entry" data-event-type={event.type} data-version={event.version}>
      <div className="timeline-marker" aria-hidden="true">{event.version}</div>
      <div className="timeline-body">
        <div className="timeline-head">
          <span className="event-type" data-testid="event-type">{event.type}</span>
          <span className="chip" title="schema version">v{event.schemaVersion}</span>
          <span className="timeline-time mono" title={event.recordedAt}>{formatPreciseTime(event.recordedAt)}</span>
        </div>
        {summary && <div className="event-summary">{summary}</div>}
        <Replies data={data} />
        <dl className="event-meta">
          <dt>version</dt><dd className="mono">{event.version}</dd>
          <dt>actor</dt><dd className="mono">{meta.actor ?? '—'}</dd>
          <dt>position</dt><dd className="mono">{event.position}</dd>
          <dt>hash</dt><dd className="mono" title={meta.hash ?? ''} data-testid="event-hash">{shortHash(meta.hash)}</dd>
        </dl>
        <div className="event-json-row">
          <details className="event-json">
            <summary>data</summary>
            <pre data-testid="event-data">{pretty(data)}</pre>
          </details>
          <details className="event-json">
            <summary>metadata</summary>
            <pre>{pretty(metadata)}</pre>
          </details>
        </div>
      </div>
    </li>
  );
};

/** Every event of the message stream, in stream order (by version), as the server returned them. */
export const EventTimeline = ({ events }: { events: readonly MessageEventRecord[] }) => {
  const ordered = [...events].sort((a, b) => a.version - b.version);
  return (
    <section className="panel timeline-panel">
      <h2>Event timeline <span className="muted">({events.length})</span></h2>
      <ol className="timeline" data-testid="timeline">
        {ordered.map((event) => <TimelineEntry key={`${event.version}-${event.position}`} event={event} />)}
      </ol>
    </section>
  );
};
