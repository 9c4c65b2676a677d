import type { SecureVersion } from 'node:tls';
import type { TlsLevel } from '../config/config.schema.js';

/** The part of node's TLS options a level decides; spread into `tls.createSecureContext` or smtp-server's options. */
export type TlsLevelOptions = Readonly<{
  minVersion: SecureVersion;
  maxVersion: SecureVersion;
  /** TLS 1.2-and-older cipher list plus the TLS 1.3 suites (node sends the `TLS_*` names to SSL_CTX_set_ciphersuites). */
  ciphers: string;
  honorCipherOrder: boolean;
  ecdhCurve: string;
  /** 'auto': RFC 7919 groups sized to the key; without it node silently drops every DHE cipher. */
  dhparam?: 'auto';
}>;

// Mozilla server-side TLS guidelines 5.7 (https://ssl-config.mozilla.org/guidelines/5.7.json).
const TLS13_SUITES = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'];

/** "intermediate": every suite has forward secrecy ((EC)DHE) and an AEAD cipher. */
const INTERMEDIATE = [
  'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305',
  'DHE-RSA-AES128-GCM-SHA256', 'DHE-RSA-AES256-GCM-SHA384', 'DHE-RSA-CHACHA20-POLY1305',
];

/**
 * "old": intermediate first, then CBC suites and static-RSA key exchange for senders that know nothing better. Mozilla's
 * last entry, DES-CBC3-SHA, is left out: node's bundled OpenSSL is built without 3DES.
 */
const OLD = [
  ...INTERMEDIATE,
  'ECDHE-ECDSA-AES128-SHA256', 'ECDHE-RSA-AES128-SHA256', 'ECDHE-ECDSA-AES128-SHA', 'ECDHE-RSA-AES128-SHA',
  'ECDHE-ECDSA-AES256-SHA384', 'ECDHE-RSA-AES256-SHA384', 'ECDHE-ECDSA-AES256-SHA', 'ECDHE-RSA-AES256-SHA',
  'DHE-RSA-AES128-SHA256', 'DHE-RSA-AES256-SHA256',
  'AES128-GCM-SHA256', 'AES256-GCM-SHA384', 'AES128-SHA256', 'AES256-SHA256', 'AES128-SHA', 'AES256-SHA',
];

const MOZILLA_CURVES = 'X25519:prime256v1:secp384r1';

const LEVELS: Readonly<Record<TlsLevel, TlsLevelOptions>> = {
  compat: {
    minVersion: 'TLSv1',
    maxVersion: 'TLSv1.3',
    // OpenSSL 3's default security level 1 refuses TLS 1.0/1.1 outright (their handshake signatures use SHA-1/MD5-SHA1),
    // so without @SECLEVEL=0 the minVersion above would be a lie. Level 0 also admits the old suites below. On port 25
    // that is the right trade: senders fall back to plaintext when the handshake fails (RFC 3207 §4, opportunistic
    // TLS), so a weak cipher still beats none. Clients that offer better still get it: the list is ordered and ours wins.
    ciphers: [...TLS13_SUITES, ...OLD, '@SECLEVEL=0'].join(':'),
    honorCipherOrder: true,
    // OpenSSL's default group list: wider than Mozilla's three, for senders that only know e.g. secp521r1.
    ecdhCurve: 'auto',
    dhparam: 'auto',
  },
  modern: {
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.3',
    ciphers: [...TLS13_SUITES, ...INTERMEDIATE].join(':'),
    // Every suite on the list is strong, so the client may pick the fastest for its hardware (Mozilla: client chooses).
    honorCipherOrder: false,
    ecdhCurve: MOZILLA_CURVES,
    dhparam: 'auto',
  },
  strict: {
    minVersion: 'TLSv1.3',
    maxVersion: 'TLSv1.3',
    ciphers: TLS13_SUITES.join(':'),
    honorCipherOrder: false,
    ecdhCurve: MOZILLA_CURVES,
  },
};

/**
 * Node TLS options for a named level (`smtp.tls.level` or a listener's `tlsLevel`):
 * - `compat`: TLS 1.0–1.3, Mozilla "old" ciphers at OpenSSL security level 0 — for MX, where old senders exist;
 * - `modern`: TLS 1.2–1.3, forward-secret AEAD ciphers only (Mozilla "intermediate");
 * - `strict`: TLS 1.3 only.
 * They carry no certificate; add `key` and `cert` (see `secureContextOptions`).
 */
export const tlsOptionsFor = (level: TlsLevel): TlsLevelOptions => LEVELS[level];

/** Everything `tls.createSecureContext`, `tls.Server#setSecureContext` and smtp-server need: the level plus key and certificate. */
export const secureContextOptions = (
  level: TlsLevel, credentials: Readonly<{ key: string; cert: string }>,
): TlsLevelOptions & Readonly<{ key: string; cert: string }> => ({ ...tlsOptionsFor(level), key: credentials.key, cert: credentials.cert });
