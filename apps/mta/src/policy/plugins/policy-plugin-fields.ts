import { isIP } from 'node:net';
import { z } from 'zod';

// Config fields shared by the built-in policy plugins, with messages that say what a valid value looks like.

const show = (value: unknown): string => {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
};

/** The config fields of Elemta's own settings: the same spellings and messages in plugin configs. */
export { duration as durationField, rate as rateField } from '@elemta/infra/config';

export { unmappedAddress } from '../../smtp/relay-control.js';

/** An IP address or CIDR block, parsed for `node:net`'s BlockList. */
export type Network = Readonly<{ text: string; address: string; prefix: number; family: 'ipv4' | 'ipv6' }>;

export const networkField = () =>
  z.string({ error: 'must be an IP address or CIDR block such as "192.0.2.0/24" or "2001:db8::/32"' }).transform((value, ctx): Network => {
    const text = value.trim();
    const [address = '', bits, extra] = text.split('/');
    const version = isIP(address);
    const max = version === 6 ? 128 : 32;
    const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
    if (version === 0 || extra !== undefined || !(prefix >= 0 && prefix <= max)) {
      ctx.addIssue({ code: 'custom', message: `must be an IP address or CIDR block such as "192.0.2.0/24" or "2001:db8::/32", got ${show(value)}` });
      return z.NEVER;
    }
    return { text, address, prefix, family: version === 6 ? 'ipv6' : 'ipv4' };
  });
