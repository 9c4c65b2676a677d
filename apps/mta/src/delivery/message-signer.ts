import { domainOf, type MessageAccepted } from '@elemta/domain';
import type { ElemtaConfig } from '@elemta/infra/config';
import type { Logger } from '@elemta/infra/logger';
import { arcSealContext, arcSealMessage, dkimSignMessage, loadSigningKeys, type SigningKeys } from '@elemta/infra/mailauth';
import { networkMatcher } from '../smtp/relay-control.js';

type Accepted = MessageAccepted['data'];
type SigningConfig = ElemtaConfig['delivery']['signing'];

/** Transports whose messages leave this machine for other MTAs. Local delivery (LMTP, Maildir) and capture stay unsigned. */
export const SIGNING_TRANSPORTS: ReadonlySet<string> = new Set(['relay', 'smarthost']);

/**
 * Signs or seals messages on their way out. `sign` resolves to the bytes to send (the body itself when nothing applies)
 * and rejects (SigningError) rather than return a message that should have been signed and is not.
 */
export type MessageSigner = Readonly<{ sign: (accepted: Accepted, body: Buffer) => Promise<Buffer> }>;

export type SigningDecision =
  | Readonly<{ kind: 'dkim'; domain: string }>
  | Readonly<{ kind: 'arc' }>
  | Readonly<{ kind: 'none'; reason: string }>;

export type SigningPolicy = Readonly<{
  /** Lower-cased domains with a DKIM key. */
  dkimDomains: ReadonlySet<string>;
  arc: boolean;
  /** The address is in smtp.relay.networks. */
  isTrustedClient: (address: string) => boolean;
}>;

/** The domain of an address, lower-cased; null for the null reverse-path or no `@`. */
export const domainOfAddress = (address: string): string | null => {
  const domain = domainOf(address.replace(/[>\s]+$/, ''));
  return domain.length > 0 ? domain : null;
};

/** The domain of the first mailbox of a From header value (RFC 5322 §3.6.2): `"A, B" <a@x.org>` → x.org. */
export const domainOfFromHeader = (value: string | null): string | null => {
  if (value === null) return null;
  const first = value.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/\([^()]*\)/g, ' ').split(',')[0] ?? '';
  const angle = /<([^<>]*)>/.exec(first);
  return domainOfAddress((angle ? angle[1]! : first).trim());
};

/**
 * Which signature a message gets when it leaves on a relay or smarthost route. Mail from our own users and networks
 * (and Elemta's own DSNs) gets DKIM for the domain of its From header, for DMARC alignment, else of its envelope sender,
 * when that domain has a key. Mail from outside never gets our DKIM signature: signing whatever a stranger claims to
 * be from our domain would lend our name to spoofing. When it is relayed onward (forwarding) it gets an ARC seal
 * instead, so the next hop can trust the authentication results we saw (RFC 8617).
 */
export const signingDecision = (accepted: Accepted, policy: SigningPolicy): SigningDecision => {
  const inside = accepted.authUser !== null || accepted.client === null || policy.isTrustedClient(accepted.client.address);
  if (!inside) return policy.arc ? { kind: 'arc' } : { kind: 'none', reason: 'from outside, and no ARC key is configured' };
  for (const domain of [domainOfFromHeader(accepted.headers.from), domainOfAddress(accepted.envelope.mailFrom)]) {
    if (domain !== null && policy.dkimDomains.has(domain)) return { kind: 'dkim', domain };
  }
  return { kind: 'none', reason: 'no DKIM key for the From or envelope sender domain' };
};

const asBuffer = (bytes: Uint8Array): Buffer => (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));

export type MessageSignerOptions = Readonly<{
  signing: SigningConfig;
  /** Our authserv-id: the Authentication-Results we seal must carry it. */
  hostname: string;
  relayNetworks: readonly string[];
  log: Logger;
}>;

/**
 * The signer of `delivery.signing`, or null when nothing is configured (then delivery does no signing work at all).
 * Reads every key now: throws a ConfigError naming each unusable key file.
 */
export const createMessageSigner = (options: MessageSignerOptions): MessageSigner | null => {
  const { signing, hostname, log } = options;
  if (Object.keys(signing.dkim).length === 0 && !signing.arc) return null;
  const keys = loadSigningKeys(signing);
  const policy: SigningPolicy = { dkimDomains: new Set(keys.dkim.keys()), arc: keys.arc !== null, isTrustedClient: networkMatcher(options.relayNetworks) };
  return {
    sign: async (accepted, body) => {
      const decision = signingDecision(accepted, policy);
      if (decision.kind === 'dkim') return dkimSign(keys, decision.domain, body);
      if (decision.kind === 'arc') return arcSeal(keys, hostname, body, log.child({ messageId: accepted.messageId }));
      return body;
    },
  };
};

const dkimSign = async (keys: SigningKeys, domain: string, body: Buffer): Promise<Buffer> => {
  const entry = keys.dkim.get(domain)!;
  return asBuffer(await dkimSignMessage(body, {
    domain, selector: entry.selector, privateKey: entry.key.privateKeyPem, algorithm: entry.key.algorithm,
    ...(entry.headers ? { headers: entry.headers } : {}),
  }));
};

const arcSeal = async (keys: SigningKeys, hostname: string, body: Buffer, log: Logger): Promise<Buffer> => {
  const arc = keys.arc!;
  const context = arcSealContext(body, hostname);
  if (!context.seal) {
    log.debug({ reason: context.reason }, 'not ARC-sealed');
    return body;
  }
  return asBuffer(await arcSealMessage(body, {
    domain: arc.domain, selector: arc.selector, privateKey: arc.key.privateKeyPem,
    authResults: context.authResults, cv: context.cv, instance: context.instance,
  }));
};
