import { isRecord } from './format';

/** An SMTP reply as events record it: `{ code, enhancedCode, text, command }`. */
export type SmtpReply = { code: number; enhancedCode: string | null; text: string; command: string | null };

/** Where in an event's data a reply was found, e.g. `reply` or `attempts[0].reply`. */
export type FoundReply = { path: string; reply: SmtpReply };

const asReply = (value: Record<string, unknown>): SmtpReply | null => {
  const { code, text, enhancedCode, command } = value;
  if (typeof code !== 'number' || code < 200 || code > 599 || typeof text !== 'string') return null;
  return {
    code,
    text,
    enhancedCode: typeof enhancedCode === 'string' ? enhancedCode : null,
    command: typeof command === 'string' ? command : null,
  };
};

const walk = (value: unknown, path: string, found: FoundReply[], depth: number): void => {
  if (depth > 8) return; // event data is shallow; this only guards against pathological input
  if (Array.isArray(value)) {
    value.forEach((item, i) => walk(item, `${path}[${i}]`, found, depth + 1));
    return;
  }
  if (!isRecord(value)) return;
  const reply = asReply(value);
  if (reply) {
    found.push({ path: path || 'reply', reply });
    return;
  }
  for (const [key, child] of Object.entries(value)) walk(child, path ? `${path}.${key}` : key, found, depth + 1);
};

/** Every SMTP reply inside an event's data, in document order. */
export const findSmtpReplies = (data: unknown): FoundReply[] => {
  const found: FoundReply[] = [];
  walk(data, '', found, 0);
  return found;
};

/** The reply as it reads on the wire: `550 5.1.1 User unknown`; multi-line text becomes `250-…` continuation lines. */
export const formatSmtpReply = (reply: SmtpReply): string => {
  const lines = reply.text.split(/\r?\n/);
  const enhanced = reply.enhancedCode ? `${reply.enhancedCode} ` : '';
  return lines.map((line, i) => `${reply.code}${i < lines.length - 1 ? '-' : ' '}${enhanced}${line}`).join('\n');
};

/** 2xx, 4xx (transient) or 5xx (permanent), for colouring. */
export const replyClass = (reply: SmtpReply): 'success' | 'transient' | 'permanent' =>
  reply.code >= 500 ? 'permanent' : reply.code >= 400 ? 'transient' : 'success';
