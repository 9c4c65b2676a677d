/** The trace header every SMTP server prepends (RFC 5321 §4.4), folded at 78 characters. */
export const receivedHeader = (trace: {
  helo: string | null; reverseDns: string | null; clientAddress: string; hostname: string;
  protocol: 'SMTP' | 'ESMTP' | 'ESMTPS' | 'ESMTPA' | 'ESMTPSA'; id: string; recipient: string | null; date: Date;
}): string => {
  const from = `from ${trace.helo ?? 'unknown'} (${trace.reverseDns ?? 'unknown'} [${trace.clientAddress}])`;
  const by = `by ${trace.hostname} (Elemta) with ${trace.protocol} id ${trace.id}`;
  const forPart = trace.recipient ? `\r\n\tfor <${trace.recipient}>` : '';
  return `Received: ${from}\r\n\t${by}${forPart};\r\n\t${rfc5322Date(trace.date)}\r\n`;
};

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/** RFC 5322 §3.3 date-time in UTC. */
export const rfc5322Date = (d: Date): string =>
  `${DAYS[d.getUTCDay()]}, ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
  `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
