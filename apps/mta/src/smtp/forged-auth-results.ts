/** Where the header section ends: the index of the line break that starts the empty line, or the length. */
const headerEnd = (message: Buffer): number => {
  for (let i = message.indexOf(0x0a); i !== -1; i = message.indexOf(0x0a, i + 1)) {
    const next = message[i + 1];
    if (next === 0x0a || (next === 0x0d && message[i + 2] === 0x0a)) return i > 0 && message[i - 1] === 0x0d ? i - 1 : i;
  }
  return message.length;
};

/**
 * RFC 8601 §5: a receiving server removes `Authentication-Results` fields that carry its own authserv-id before it
 * adds its own, since anything upstream could have forged them, and whatever trusts our id (a later ARC seal, a
 * mailbox filter) would believe them. Only the header section is decoded (latin1 round-trips every byte); the body
 * is neither copied to a string nor changed. Returns the same buffer when there is nothing to remove.
 */
export const withoutForgedAuthResults = (message: Buffer, authservId: string): Buffer => {
  const end = headerEnd(message);
  const head = message.subarray(0, end).toString('latin1');
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
  return Buffer.concat([Buffer.from(kept.join(eol), 'latin1'), message.subarray(end)]);
};
