/** RFC 8617 §4.1.3: what the sealer found of the chain before it. */
export type ArcChainValidation = 'none' | 'pass' | 'fail';

/** What to seal with, or why this message gets no ARC set. */
export type ArcSealContext =
  | Readonly<{ seal: true; authResults: string; cv: ArcChainValidation; instance: number }>
  | Readonly<{ seal: false; reason: string }>;

/** RFC 8617 §4.2.1: at most 50 ARC sets. */
export const MAX_ARC_INSTANCE = 50;
const MAX_HEADER_BYTES = 256 * 1024;

type Field = Readonly<{ name: string; value: string }>;

/** The header fields of a message, in order, with their values as written (folding kept, CRLF line breaks). */
export const headerFieldsOf = (raw: Uint8Array): Field[] => {
  const text = Buffer.from(raw.buffer, raw.byteOffset, Math.min(raw.byteLength, MAX_HEADER_BYTES)).toString('utf8');
  const end = text.search(/\r?\n\r?\n/);
  const lines = (end < 0 ? text : text.slice(0, end)).split(/\r?\n/);
  const fields: { name: string; value: string }[] = [];
  for (const line of lines) {
    const last = fields.at(-1);
    if (/^[ \t]/.test(line) && last) {
      last.value += `\r\n${line}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon > 0) fields.push({ name: line.slice(0, colon).trim().toLowerCase(), value: line.slice(colon + 1).replace(/^[ \t]+/, '') });
  }
  return fields;
};

const withoutComments = (value: string) => value.replace(/\([^()]*\)/g, ' ');

/** RFC 8601 §2.2: `authserv-id [version] ; resinfo...`. */
export const authservIdOf = (authResults: string): string =>
  (withoutComments(authResults).split(';')[0] ?? '').trim().split(/\s+/)[0]?.toLowerCase() ?? '';

/** The `arc=` verdict an Authentication-Results value records, if any. */
const arcVerdictOf = (authResults: string): string | null =>
  /(?:^|;)\s*arc\s*=\s*([a-z]+)/i.exec(withoutComments(authResults))?.[1]?.toLowerCase() ?? null;

const tag = (value: string, name: string): string | null =>
  new RegExp(`(?:^|;)\\s*${name}\\s*=\\s*([^;\\s]+)`, 'i').exec(withoutComments(value))?.[1] ?? null;

const ARC_FIELDS = new Set(['arc-seal', 'arc-message-signature', 'arc-authentication-results']);

/**
 * Decides whether and how to ARC-seal a message that reached us from outside and is relayed onward. The topmost
 * Authentication-Results must be ours (authserv-id = `authservId`): a receiving MTA adds its own above all others and
 * RFC 8601 §5 has it remove forged ones that claim its id, so that header records what we verified. Its `arc=`
 * verdict on an existing chain becomes our `cv=`; a chain we did not verify, one that already failed (RFC 8617 §5.1.2:
 * no seal on top of cv=fail) or one at the 50-set limit gets no seal.
 */
export const arcSealContext = (raw: Uint8Array, authservId: string): ArcSealContext => {
  const fields = headerFieldsOf(raw);
  const authResults = fields.find((f) => f.name === 'authentication-results');
  if (!authResults) return { seal: false, reason: 'no Authentication-Results header' };
  if (authservIdOf(authResults.value) !== authservId.toLowerCase()) {
    return { seal: false, reason: 'the topmost Authentication-Results is not ours' };
  }
  const arcFields = fields.filter((f) => ARC_FIELDS.has(f.name));
  const instance = 1 + Math.max(0, ...arcFields.map((f) => Number(tag(f.value, 'i') ?? 0)).filter(Number.isSafeInteger));
  if (instance > MAX_ARC_INSTANCE) return { seal: false, reason: `the ARC chain already has ${MAX_ARC_INSTANCE} sets` };
  if (arcFields.length === 0) return { seal: true, authResults: authResults.value, cv: 'none', instance };
  const lastSeal = fields.find((f) => f.name === 'arc-seal' && tag(f.value, 'i') === String(instance - 1));
  if (lastSeal && tag(lastSeal.value, 'cv')?.toLowerCase() === 'fail') return { seal: false, reason: 'the ARC chain already failed' };
  const verdict = arcVerdictOf(authResults.value);
  if (verdict === 'pass' || verdict === 'fail') return { seal: true, authResults: authResults.value, cv: verdict, instance };
  return { seal: false, reason: 'the message carries an ARC chain we did not verify' };
};
