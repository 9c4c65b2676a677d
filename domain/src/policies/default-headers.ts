/** Which missing headers the `default-headers` policy adds, and for whom. */
export type DefaultHeaderSettings = Readonly<{ messageId: boolean; date: boolean; onlyTrusted: boolean }>;

/** The client as far as header rewriting cares: its listener's role, whether it authenticated, whether it is in the trusted networks. */
export type HeaderRewriteClient = Readonly<{ role: 'mx' | 'submission' | 'smtps'; authenticated: boolean; trustedNetwork: boolean }>;

export type DefaultHeaderName = 'Message-ID' | 'Date';

/**
 * Whether mail from this client is ours to complete: mail submitted by our own users (authenticated, on a
 * submission listener, or from a trusted network), like Postfix's `local_header_rewrite_clients`. RFC 6409 §8 lets a
 * submission server add Message-ID and Date; an MX that "repairs" foreign mail only hides the sender's fault and
 * breaks DKIM signatures that cover those headers (RFC 5321 §6.4: a relay should not add them).
 */
export const rewritesHeadersOf = (client: HeaderRewriteClient | null, settings: DefaultHeaderSettings): boolean =>
  !settings.onlyTrusted || (client !== null && (client.authenticated || client.trustedNetwork || client.role !== 'mx'));

/** The headers (RFC 5322 §3.6: Date is required, Message-ID should be present) that this message lacks and should get. */
export const defaultHeadersToAdd = (
  present: Readonly<{ messageId: boolean; date: boolean }>,
  client: HeaderRewriteClient | null,
  settings: DefaultHeaderSettings,
): DefaultHeaderName[] => {
  if (!rewritesHeadersOf(client, settings)) return [];
  const missing: DefaultHeaderName[] = [];
  if (settings.messageId && !present.messageId) missing.push('Message-ID');
  if (settings.date && !present.date) missing.push('Date');
  return missing;
};

/** A Message-ID (RFC 5322 §3.6.4) from a unique left part and a domain for its right part. */
export const messageIdValue = (unique: string, domain: string): string => `<${unique}@${domain}>`;
