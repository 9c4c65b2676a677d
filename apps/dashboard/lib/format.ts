/** Display helpers; pure so they render the same on the build machine and in the browser. */

const pad = (n: number): string => String(n).padStart(2, '0');

/** `2026-11-20 22:47:03` in the viewer's time zone; the raw value when it is not a date. */
export const formatTimestamp = (iso: string | null | undefined): string => {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
};

/** Milliseconds as well, for events that happen within the same second. */
export const formatPreciseTime = (iso: string | null | undefined): string => {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${formatTimestamp(iso)}.${String(d.getMilliseconds()).padStart(3, '0')}`;
};

const UNITS = ['B', 'KiB', 'MiB', 'GiB'] as const;

export const formatBytes = (bytes: number | null | undefined): string => {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '—';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${UNITS[unit]}`;
};

/** The null reverse-path (`MAIL FROM:<>`) is an empty string in events. */
export const formatAddress = (address: string | null | undefined): string =>
  address === '' ? '<>' : address ?? '—';

/** First and last characters of a hash, enough to compare by eye. */
export const shortHash = (hash: string | null | undefined, keep = 8): string => {
  if (!hash) return '—';
  return hash.length <= keep * 2 + 1 ? hash : `${hash.slice(0, keep)}…${hash.slice(-4)}`;
};

/** JSON scalars may arrive as objects or as JSON text; returns the parsed value either way. */
export const asJson = (value: unknown): unknown => {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
};

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
