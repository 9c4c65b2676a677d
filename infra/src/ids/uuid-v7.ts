import { randomFillSync } from 'node:crypto';

/** Random bytes drawn in blocks: one system call per 256 ids instead of one per id. */
const POOL_SIZE = 16 * 256;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let offset = POOL_SIZE;

const random16 = (): Buffer => {
  if (offset + 16 > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const bytes = pool.subarray(offset, offset + 16);
  offset += 16;
  return bytes;
};

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const state = { msecs: -Infinity, seq: 0 };

/**
 * A UUIDv7 (RFC 9562 §5.7, "method 1": a 32-bit counter seeded randomly each millisecond after the 48-bit time), so
 * ids made by one process are strictly increasing even within one millisecond; the remaining 30 bits are random.
 */
export const uuidV7 = (now: number = Date.now()): string => {
  const r = random16();
  if (now > state.msecs) {
    state.msecs = now;
    state.seq = ((r[6]! & 0x7f) << 24) | (r[7]! << 16) | (r[8]! << 8) | r[9]!; // top bit clear: room to count up
  } else {
    state.seq = (state.seq + 1) | 0;
    if (state.seq === 0) state.msecs++;
  }
  const { msecs, seq } = state;
  const b = [
    (msecs / 0x10000000000) & 0xff, (msecs / 0x100000000) & 0xff, (msecs / 0x1000000) & 0xff, (msecs / 0x10000) & 0xff,
    (msecs / 0x100) & 0xff, msecs & 0xff,
    0x70 | ((seq >>> 28) & 0x0f), (seq >>> 20) & 0xff,
    0x80 | ((seq >>> 14) & 0x3f), (seq >>> 6) & 0xff,
    ((seq << 2) & 0xff) | (r[10]! & 0x03), r[11]!, r[12]!, r[13]!, r[14]!, r[15]!,
  ].map((x) => HEX[x]!);
  return `${b[0]}${b[1]}${b[2]}${b[3]}-${b[4]}${b[5]}-${b[6]}${b[7]}-${b[8]}${b[9]}-${b[10]}${b[11]}${b[12]}${b[13]}${b[14]}${b[15]}`;
};
