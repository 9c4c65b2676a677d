import { readFileSync } from 'node:fs';
import type { TransportConfig } from '@elemta/infra/config';
import type { MailResolver } from '@elemta/infra/dns';
import {
  createCaptureTransport, createLmtpTransport, createMaildirTransport, createRelayTransport, createSmarthostTransport,
  type Transport,
} from '@elemta/infra/smtp-delivery';

export type TransportContext = Readonly<{ resolver: MailResolver; heloName: string }>;

const caOf = (file: string | undefined): Buffer[] | undefined => (file ? [readFileSync(file)] : undefined);
const poolOf = (c: { maxConnectionsPerDestination: number; maxMessagesPerConnection: number }) =>
  ({ maxConnectionsPerDestination: c.maxConnectionsPerDestination, maxMessagesPerConnection: c.maxMessagesPerConnection });

/** One transport per configured route name. A CA file that cannot be read stops start-up, naming the file. */
export const buildTransports = (routes: Readonly<Record<string, TransportConfig>>, ctx: TransportContext): Map<string, Transport> => {
  const transports = new Map<string, Transport>();
  for (const [name, c] of Object.entries(routes)) transports.set(name, buildTransport(c, ctx));
  return transports;
};

const buildTransport = (c: TransportConfig, { resolver, heloName }: TransportContext): Transport => {
  switch (c.kind) {
    case 'relay': {
      const ca = caOf(c.caFile);
      return createRelayTransport({
        resolver, heloName, port: c.port, tls: c.tls, ...(ca ? { ca } : {}), connectTimeoutMs: c.connectTimeout * 1000, pool: poolOf(c),
      });
    }
    case 'smarthost': {
      const ca = caOf(c.caFile);
      return createSmarthostTransport({
        host: c.host, port: c.port, secure: c.secure, tls: c.tls, ...(ca ? { ca } : {}), ...(c.auth ? { auth: c.auth } : {}),
        heloName, connectTimeoutMs: c.connectTimeout * 1000, pool: poolOf(c),
      });
    }
    case 'lmtp':
      return createLmtpTransport({ host: c.host, port: c.port, heloName, connectTimeoutMs: c.connectTimeout * 1000, pool: poolOf(c) });
    case 'maildir':
      return createMaildirTransport({ root: c.root });
    case 'capture':
      return createCaptureTransport();
  }
};
