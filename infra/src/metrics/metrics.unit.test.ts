import { register as globalRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetrics } from './metrics.js';

const NAMES = [
  'elemta_smtp_sessions_total', 'elemta_smtp_sessions_active', 'elemta_smtp_messages_accepted_total',
  'elemta_smtp_messages_rejected_total', 'elemta_smtp_auth_total', 'elemta_eventstore_append_duration_seconds',
  'elemta_eventstore_append_batch_size_appends', 'elemta_projection_lag_seconds',
  'elemta_projection_events_processed_total', 'elemta_blobstore_write_duration_seconds', 'elemta_smtp_tls_sessions_total',
  'elemta_smtp_connections_refused_total', 'elemta_policy_verdicts_total', 'elemta_policy_hook_duration_seconds',
];

describe('createMetrics', () => {
  it('exposes every Elemta metric and the default Node metrics on its own registry', async () => {
    const { registry } = createMetrics();
    const text = await registry.metrics();
    for (const name of NAMES) expect(text).toContain(`# TYPE ${name} `);
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    expect(await globalRegistry.metrics()).not.toContain('elemta_');
  });

  it('records labelled values and fine-grained append latencies', async () => {
    const m = createMetrics();
    m.smtpSessions.inc({ listener: 'mx' });
    m.smtpSessionsActive.inc({ listener: 'mx' });
    m.messagesRejected.inc({ listener: 'submission', code: '550' });
    m.projectionLag.set({ projection: 'queue' }, 0.25);
    m.appendDuration.observe(0.0008);
    const text = await m.registry.metrics();
    expect(text).toContain('elemta_smtp_sessions_total{listener="mx"} 1');
    expect(text).toContain('elemta_smtp_messages_rejected_total{listener="submission",code="550"} 1');
    expect(text).toContain('elemta_projection_lag_seconds{projection="queue"} 0.25');
    expect(text).toContain('elemta_eventstore_append_duration_seconds_bucket{le="0.0005"} 0');
    expect(text).toContain('elemta_eventstore_append_duration_seconds_bucket{le="0.001"} 1');
  });

  it('builds independent registries, so two instances never clash', async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.messagesAccepted.inc({ listener: 'mx' });
    expect(await b.registry.metrics()).not.toContain('elemta_smtp_messages_accepted_total{listener="mx"} 1');
  });
});
