import type { ElemtaConfig, ListenerEntry } from '@elemta/infra/config';
import type { Logger } from '@elemta/infra/logger';
import { loadTlsCredentials, tlsCredentialsLogFields, tlsOptionsFor, watchTlsCredentials } from '@elemta/infra/tls';
import { createInboundListener, type InboundListener, type ListenerDeps } from './inbound-listener.js';

/** The listeners of the config: `smtp.listeners`, or mx, submission and smtps from the ports (0 turns one off). */
export const listenerEntries = (smtp: ElemtaConfig['smtp']): ListenerEntry[] =>
  smtp.listeners ?? [
    { name: 'mx', role: 'mx', port: smtp.port, starttls: true },
    ...(smtp.submissionPort !== 0 ? [{ name: 'submission', role: 'submission' as const, port: smtp.submissionPort, starttls: true }] : []),
    ...(smtp.smtpsPort !== 0 ? [{ name: 'smtps', role: 'smtps' as const, port: smtp.smtpsPort, starttls: true }] : []),
  ];

export type RunningListeners = Readonly<{
  listeners: readonly InboundListener[];
  ports: ReadonlyMap<string, number>;
  close: () => Promise<void>;
}>;

/**
 * Loads the certificate (files, or a self-signed one made once in the data directory), starts every listener with
 * its TLS level and limits, and reloads the certificate into all of them when its files change.
 */
export const startListeners = async (
  config: ElemtaConfig, deps: Omit<ListenerDeps, 'log'>, log: Logger,
): Promise<RunningListeners> => {
  const smtp = config.smtp;
  const tlsLog = log.child({ component: 'tls' });
  const credentials = await loadTlsCredentials({
    ...(smtp.tls.certFile ? { certFile: smtp.tls.certFile, keyFile: smtp.tls.keyFile! } : {}),
    dataDir: config.dataDir, hostname: config.hostname, log: tlsLog,
  });
  if (credentials.source === 'self-signed') {
    tlsLog.warn({ ...tlsCredentialsLogFields(credentials), generated: credentials.generated },
      'no certificate configured (smtp.tls.certFile, smtp.tls.keyFile): STARTTLS uses a self-signed certificate');
  } else {
    tlsLog.info(tlsCredentialsLogFields(credentials), 'TLS certificate loaded');
  }
  const listeners = listenerEntries(smtp).map((entry) => createInboundListener({
    name: entry.name, role: entry.role, host: entry.host ?? smtp.host, port: entry.port,
    maxMessageSize: entry.maxMessageSize ?? smtp.maxMessageSize,
    maxRecipients: entry.maxRecipients ?? smtp.maxRecipients,
    maxMessagesPerSession: entry.maxMessagesPerSession ?? smtp.maxMessagesPerSession,
    maxConnections: entry.maxConnections ?? smtp.maxConnections,
    maxConnectionsPerIp: entry.maxConnectionsPerIp ?? smtp.maxConnectionsPerIp,
    socketTimeoutMs: entry.socketTimeoutMs ?? smtp.socketTimeoutMs,
    sessionTimeoutMs: entry.sessionTimeoutMs ?? smtp.sessionTimeoutMs,
    closeTimeoutMs: smtp.closeTimeoutMs,
    disableReverseLookup: smtp.disableReverseLookup,
    starttls: entry.starttls,
    // Opportunistic TLS on mx: a legacy sender refused by a strict floor would fall back to plain text.
    tls: { key: credentials.key, cert: credentials.cert, options: tlsOptionsFor(entry.tlsLevel ?? smtp.tls.level ?? (entry.role === 'mx' ? 'compat' : 'modern')) },
    auth: {
      allowInsecureAuth: entry.allowInsecureAuth ?? smtp.allowInsecureAuth, maxFailures: smtp.authMaxFailures, failureDelayMs: smtp.authFailureDelayMs,
    },
  }, { ...deps, log: log.child({ component: 'smtp', listener: entry.name }) }));

  const watcher = smtp.tls.certFile
    ? watchTlsCredentials(
      { certFile: smtp.tls.certFile, keyFile: smtp.tls.keyFile!, hostname: config.hostname, log: tlsLog, current: credentials },
      (next) => {
        for (const listener of listeners) listener.updateCredentials({ key: next.key, cert: next.cert });
        tlsLog.info(tlsCredentialsLogFields(next), 'TLS certificate reloaded');
      },
      (err) => tlsLog.error({ err }, 'TLS certificate files changed but cannot be used: keeping the previous certificate'),
    )
    : null;

  const ports = new Map<string, number>();
  try {
    for (const listener of listeners) ports.set(listener.name, (await listener.listen()).port);
  } catch (err) {
    watcher?.close();
    await Promise.all(listeners.map((l) => l.close()));
    throw err;
  }
  return {
    listeners, ports,
    close: async () => {
      watcher?.close();
      await Promise.all(listeners.map((l) => l.close()));
    },
  };
};
