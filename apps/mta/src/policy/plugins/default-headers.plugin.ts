import { randomUUID } from 'node:crypto';
import { defaultHeadersToAdd, messageIdValue, rewritesHeadersOf, type TagHeader } from '@elemta/domain';
import { z } from 'zod';
import { rfc5322Date } from '../../smtp/received-header.js';
import { definePlugin } from '../plugin-api.js';

const HOSTNAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

const configSchema = z.strictObject({
  /** Add `Message-ID: <uuid@domain>` when the message has none. */
  messageId: z.boolean({ error: 'must be true or false' }).default(true),
  /** Add `Date:` (the time of reception) when the message has none. */
  date: z.boolean({ error: 'must be true or false' }).default(true),
  /** Only complete our own users' mail (authenticated, submission listeners, trusted networks); false: every client's. */
  onlyTrusted: z.boolean({ error: 'must be true or false' }).default(true),
  /** The right-hand side of generated Message-IDs; default: the node's hostname. */
  messageIdDomain: z.string({ error: 'must be a domain name' }).trim().regex(HOSTNAME, 'must be a domain name such as "mail.example.org"').optional(),
});

export type DefaultHeadersConfig = z.output<typeof configSchema>;

/**
 * Adds the Message-ID and Date headers a message lacks (RFC 5322 §3.6; RFC 6409 §8.2–8.3 for submission), at the
 * data stage, as `tag` headers. By default only for our own users' mail, like Postfix's
 * `local_header_rewrite_clients`: mail from other servers arrives as its author sent it (RFC 5321 §6.4), and adding
 * headers would not repair it but break the DKIM signatures that cover them. The `Received` trace header is not
 * this plugin's: every listener prepends it to every message before the data stage runs.
 */
export const defaultHeadersPlugin = definePlugin<DefaultHeadersConfig>({
  name: 'default-headers',
  parseConfig: (raw) => configSchema.parse(raw ?? {}),
  setup: (config, services) => {
    const domain = config.messageIdDomain ?? services.hostname;
    return {
      data: ({ session, args, now }) => {
        const client = session && { role: session.role, authenticated: session.authUser !== null, trustedNetwork: session.trustedNetwork };
        if (!rewritesHeadersOf(client, config)) return undefined; // foreign mail: its header block is not even read
        const present = { messageId: args.message.headers('message-id').length > 0, date: args.message.headers('date').length > 0 };
        const missing = defaultHeadersToAdd(present, client, config);
        if (missing.length === 0) return undefined;
        const headers: TagHeader[] = missing.map((name) => ({
          name, value: name === 'Message-ID' ? messageIdValue(randomUUID(), domain) : rfc5322Date(now),
        }));
        return { kind: 'tag', headers, reason: `added ${missing.join(', ')}` };
      },
    };
  },
});
