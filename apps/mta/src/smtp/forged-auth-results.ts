/**
 * RFC 8601 §5: a receiving server removes `Authentication-Results` fields that carry its own authserv-id before it
 * adds its own, since anything upstream could have forged them, and whatever trusts our id (a later ARC seal, a
 * mailbox filter) would believe them. Works on the header block's bytes as they are (latin1 round-trips every byte);
 * the body is untouched. Returns the same buffer when there is nothing to remove.
 */
export const withoutForgedAuthResults = (message: Buffer, authservId: string): Buffer => {
  const text = message.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const head = end < 0 ? text : text.slice(0, end);
  if (!/^authentication-results:/im.test(head)) return message;
  const ours = authservId.toLowerCase();
  // one field per entry: a line plus its folded continuation lines
  const fields = head.split(/\r?\n(?![ \t])/);
  const kept = fields.filter((field) => {
    const match = /^authentication-results:\s*([^;\s]+)/i.exec(field);
    return !match || match[1]!.toLowerCase() !== ours;
  });
  if (kept.length === fields.length) return message;
  const eol = head.includes('\r\n') ? '\r\n' : '\n';
  return Buffer.from(kept.join(eol) + (end < 0 ? '' : text.slice(end)), 'latin1');
};
