import { AUTHENTICATION_ANNOTATION } from '@elemta/domain';
import {
  createVerificationPool, defaultVerificationThreads, toAuthenticationResults, type VerificationResult,
} from '@elemta/infra/mailauth';
import { z } from 'zod';
import { definePlugin, type HookResult, type TagHeader } from '../plugin-api.js';

/** Annotation holding the JSON of MessageAccepted's `authentication` (`{ spf, dkim, dmarc, arc }`). */
export { AUTHENTICATION_ANNOTATION };

const configSchema = z.strictObject({
  /**
   * What a DMARC failure under p=quarantine or p=reject does: `record` only records it (Authentication-Results),
   * `tag` also adds `X-Elemta-DMARC`, `enforce` rejects (p=reject) or quarantines (p=quarantine) the message.
   */
  dmarc: z.enum(['record', 'tag', 'enforce']).default('record'),
  /** Also check sessions of authenticated users and trusted networks (skipped by default: they are our own senders). */
  verifyTrusted: z.boolean().default(false),
  /**
   * Worker threads that parse, hash and check messages, off the event loop that serves SMTP sessions; 0 checks on
   * that loop. Default: one per core beyond the first, at most 4 (none on a single core).
   */
  threads: z.number().int().min(0).max(64).default(defaultVerificationThreads),
});

export type EmailAuthConfig = z.infer<typeof configSchema>;

/**
 * Inbound SPF, DKIM, DMARC and ARC checks at the data stage (through Elemta's resolver), recorded as an
 * Authentication-Results header (RFC 8601) and as the `elemta.authentication` annotation. DNS failures are results
 * (`temperror`), never verdicts; only `dmarc: enforce` refuses or holds mail, and only when the From domain asks.
 */
export const emailAuthPlugin = definePlugin<EmailAuthConfig>({
  name: 'email-auth',
  parseConfig: (raw) => {
    const parsed = configSchema.safeParse(raw ?? {});
    if (!parsed.success) throw new Error(z.prettifyError(parsed.error));
    return parsed.data;
  },
  // SPF alone may take ten lookups one after another (RFC 7208 §4.6.4), and mailauth cannot be cancelled.
  timeoutMs: 20_000,
  setup: (config, services) => {
    // threads build their resolver from the node's settings; a resolver without them (a test's) keeps to this thread
    const resolver = services.dns.settings;
    if (resolver === undefined && config.threads > 0) services.log.debug({ threads: config.threads }, 'email-auth verifies on the event loop: the resolver has no settings to rebuild it on a thread');
    const pool = createVerificationPool({
      threads: resolver === undefined ? 0 : config.threads, lookup: services.dns.lookup, ...(resolver ? { resolver } : {}),
      onThreadExit: (err) => services.log.error({ err }, 'an email-auth verification thread stopped; a new one replaces it'),
    });
    return {
    data: async ({ session, transaction, args }) => {
      // Messages submitted through the API have no SMTP client whose identity could be checked.
      if (session === null) return { kind: 'continue' };
      // As Rspamd does for local and authenticated senders: their mail is ours, and SPF would fail it from a laptop.
      if (!config.verifyTrusted && (session.authUser !== null || session.trustedNetwork)) return { kind: 'continue' };
      const result = await pool.verify(args.message.raw, {
        clientIp: session.client.address, helo: session.client.helo, mailFrom: transaction?.mailFrom ?? '',
        mtaHostname: services.hostname,
      }); // no signal: after a timeout or the end of the session the result is simply not used
      return verdictFor(result, config.dmarc);
    },
    close: () => pool.close(),
    };
  },
});

/** The hook result for one verification under a `dmarc` mode. */
export const verdictFor = (result: VerificationResult, mode: EmailAuthConfig['dmarc']): HookResult => {
  const { failedPolicy } = result.dmarc;
  const domain = printable(result.dmarc.domain ?? '');
  const dmarcReason = `dmarc=fail (p=${failedPolicy}) header.from=${domain}`;
  if (mode === 'enforce' && failedPolicy === 'reject') {
    return { kind: 'reject', code: 550, enhancedCode: '5.7.1', text: `Message rejected by DMARC policy of ${domain}`, reason: dmarcReason };
  }
  const headers: TagHeader[] = [{ name: 'Authentication-Results', value: result.authenticationResults }];
  if (result.receivedSpf !== null) headers.push({ name: 'Received-SPF', value: result.receivedSpf });
  const annotations = { [AUTHENTICATION_ANNOTATION]: JSON.stringify(toAuthenticationResults(result)) };
  if (mode === 'enforce' && failedPolicy === 'quarantine') return { kind: 'quarantine', reason: dmarcReason, headers, annotations };
  if (mode === 'tag' && failedPolicy !== null) headers.push({ name: 'X-Elemta-DMARC', value: `fail policy=${failedPolicy} domain=${domain}` });
  return {
    kind: 'tag', headers,
    reason: `spf=${result.spf.result} dkim=${result.dkim.result} dmarc=${result.dmarc.result} arc=${result.arc.result}`,
    annotations,
  };
};

// The From domain comes from the message: keep replies and header values to one line of printable ASCII.
const printable = (value: string): string => value.replace(/[^\x21-\x7e]/g, '?');
