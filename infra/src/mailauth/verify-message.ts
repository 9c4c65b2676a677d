import type { AuthenticationResults } from '@elemta/domain';
import { runMailauth, type MailauthAuthentication, type MailauthLookup } from './mailauth-authenticate.js';

export type SpfOutcome = 'pass' | 'fail' | 'softfail' | 'neutral' | 'none' | 'temperror' | 'permerror';
export type DkimOutcome = 'pass' | 'fail' | 'policy' | 'neutral' | 'none' | 'temperror' | 'permerror';
export type DmarcOutcome = 'pass' | 'fail' | 'none' | 'temperror' | 'permerror';
export type ArcOutcome = 'pass' | 'fail' | 'none';
export type DmarcPolicy = 'none' | 'quarantine' | 'reject';

export type DkimSignatureResult = Readonly<{
  domain: string; selector: string; result: DkimOutcome;
  /** The signing domain aligns with the From domain (relaxed, RFC 7489 §3.1.1). */
  aligned: boolean;
  detail: string | null;
}>;

/** The outcome of SPF (RFC 7208), DKIM (RFC 6376), DMARC (RFC 7489) and ARC (RFC 8617) for one received message. */
export type VerificationResult = Readonly<{
  spf: Readonly<{
    result: SpfOutcome;
    /** The domain whose record was checked: the MAIL FROM domain, or the HELO name for a null sender. */
    domain: string;
    identity: 'mailfrom' | 'helo';
    detail: string | null;
  }>;
  dkim: Readonly<{
    /** `pass` when any signature passed, `none` when unsigned, otherwise the most severe per-signature result. */
    result: DkimOutcome;
    signatures: readonly DkimSignatureResult[];
  }>;
  dmarc: Readonly<{
    result: DmarcOutcome;
    /** The RFC 5322.From domain; null when the message has no single From address (DMARC not evaluated). */
    domain: string | null;
    /** The policy that applies to that domain (`sp` for a subdomain covered by its organisational record). */
    policy: DmarcPolicy | null;
    /** The policy a failure falls under, when it asks for more than monitoring. */
    failedPolicy: 'quarantine' | 'reject' | null;
    pct: number | null;
    detail: string | null;
  }>;
  arc: Readonly<{ result: ArcOutcome; detail: string | null }>;
  /** The value of the `Authentication-Results` field (RFC 8601) for our host, as mailauth built it (folded). */
  authenticationResults: string;
  /** The value of the `Received-SPF` field (RFC 7208 §9.1), when SPF was evaluated. */
  receivedSpf: string | null;
}>;

/** A DNS lookup in node's `dns.promises.resolve` shapes and error codes, e.g. `MailResolver.lookup`. */
export type VerifyLookup = MailauthLookup;

export type VerifyMessageInput = Readonly<{
  clientIp: string;
  /** The EHLO/HELO argument; null when the client sent none (mailauth then uses the address literal). */
  helo: string | null;
  /** The reverse-path without angle brackets; `''` (or `<>`) for a null sender. */
  mailFrom: string;
  /** Our host name: the authserv-id of Authentication-Results. */
  mtaHostname: string;
  lookup: VerifyLookup;
}>;

/**
 * Checks SPF, DKIM, DMARC and ARC of a received message through `lookup` only (never the system resolver).
 * SPF checks the MAIL FROM identity, or for a null sender `postmaster@<HELO>` (RFC 7208 §2.3, §2.4).
 * DNS failures become `temperror` results; an error of mailauth itself is thrown unchanged.
 */
export const verifyMessage = async (raw: Uint8Array, input: VerifyMessageInput): Promise<VerificationResult> => {
  const sender = input.mailFrom === '<>' ? '' : input.mailFrom;
  const auth = await runMailauth(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength), {
    ip: input.clientIp, helo: input.helo ?? undefined, sender, mta: input.mtaHostname, lookup: input.lookup,
  });
  const headers = headerFields(auth.headers);
  const authenticationResults = headers.get('authentication-results');
  if (authenticationResults === undefined) throw new Error('mailauth returned no Authentication-Results field');
  return {
    spf: spfOf(auth, sender === '' ? 'helo' : 'mailfrom'),
    dkim: dkimOf(auth),
    dmarc: dmarcOf(auth),
    arc: auth.arc === false ? { result: 'none', detail: null } : { result: oneOf(auth.arc.status.result, ARC, 'fail'), detail: auth.arc.status.comment ?? null },
    authenticationResults,
    receivedSpf: headers.get('received-spf') ?? null,
  };
};

/** The `authentication` of MessageAccepted: each method's result and a one-line detail. */
export const toAuthenticationResults = (result: VerificationResult): AuthenticationResults => ({
  spf: { result: result.spf.result, detail: [`${result.spf.identity}=${result.spf.domain}`, result.spf.detail].filter(Boolean).join(' ') },
  dkim: {
    result: result.dkim.result,
    detail: result.dkim.signatures.length === 0 ? null
      : result.dkim.signatures.map((s) => `d=${s.domain} s=${s.selector} ${s.result}${s.detail ? ` (${s.detail})` : ''}`).join(', '),
  },
  dmarc: { result: result.dmarc.result, detail: result.dmarc.detail },
  arc: { result: result.arc.result, detail: result.arc.detail },
});

const SPF: readonly SpfOutcome[] = ['pass', 'fail', 'softfail', 'neutral', 'none', 'temperror', 'permerror'];
// Most severe first: picks the overall DKIM result when no signature passed.
const DKIM: readonly DkimOutcome[] = ['fail', 'permerror', 'temperror', 'policy', 'neutral', 'none', 'pass'];
const DMARC: readonly DmarcOutcome[] = ['pass', 'fail', 'none', 'temperror', 'permerror'];
const ARC: readonly ArcOutcome[] = ['pass', 'fail', 'none'];
const POLICIES: readonly DmarcPolicy[] = ['none', 'quarantine', 'reject'];

const oneOf = <T extends string>(value: string | undefined, allowed: readonly T[], otherwise: T): T => {
  const v = value?.toLowerCase();
  return allowed.find((a) => a === v) ?? otherwise;
};

const spfOf = (auth: MailauthAuthentication, identity: 'mailfrom' | 'helo'): VerificationResult['spf'] =>
  auth.spf === false
    ? { result: 'none', domain: '', identity, detail: null }
    : { result: oneOf(auth.spf.status.result, SPF, 'permerror'), domain: auth.spf.domain, identity, detail: auth.spf.status.comment ?? null };

const dkimOf = (auth: MailauthAuthentication): VerificationResult['dkim'] => {
  const signatures = auth.dkim.results
    .filter((r) => r.signingDomain !== undefined) // mailauth adds an unsigned placeholder row
    .map((r): DkimSignatureResult => ({
      domain: r.signingDomain ?? '', selector: r.selector ?? '', result: oneOf(r.status.result, DKIM, 'permerror'),
      aligned: typeof r.status.aligned === 'string' && r.status.aligned !== '', detail: r.status.comment ?? null,
    }));
  if (signatures.length === 0) return { result: 'none', signatures };
  if (signatures.some((s) => s.result === 'pass')) return { result: 'pass', signatures };
  const worst = DKIM.find((outcome) => signatures.some((s) => s.result === outcome)) ?? 'permerror';
  return { result: worst, signatures };
};

const dmarcOf = (auth: MailauthAuthentication): VerificationResult['dmarc'] => {
  const from = auth.dkim.headerFrom.length === 1 ? auth.dkim.headerFrom[0] : undefined;
  if (auth.dmarc === false || from === undefined) {
    return { result: 'none', domain: null, policy: null, failedPolicy: null, pct: null, detail: 'no single From address' };
  }
  const domain = from.slice(from.lastIndexOf('@') + 1).toLowerCase();
  const result = oneOf(auth.dmarc.status.result, DMARC, 'permerror');
  // RFC 7489 §6.6.3: an unknown p= is treated as p=none (monitoring only).
  const policy = auth.dmarc.policy === undefined ? null : oneOf(auth.dmarc.policy, POLICIES, 'none');
  const failedPolicy = result === 'fail' && (policy === 'quarantine' || policy === 'reject') ? policy : null;
  return {
    result, domain, policy, failedPolicy, pct: auth.dmarc.pct ?? null,
    detail: [`header.from=${domain}`, ...(policy ? [`policy=${policy}`] : []), ...(auth.dmarc.status.comment ? [`(${auth.dmarc.status.comment})`] : [])].join(' '),
  };
};

/** Field values by lower-case name from mailauth's CRLF-joined, folded header block. */
const headerFields = (block: string): Map<string, string> => {
  const fields = new Map<string, string>();
  for (const field of block.split(/\r\n(?![ \t])/)) {
    const colon = field.indexOf(':');
    if (colon > 0) fields.set(field.slice(0, colon).trim().toLowerCase(), field.slice(colon + 1).replace(/^[ \t]+/, '').replace(/\r\n$/, ''));
  }
  return fields;
};
