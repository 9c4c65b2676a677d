import { describe, expect, it } from 'vitest';
import { createRelayControl } from './relay-control.js';

describe('relay control', () => {
  const relay = createRelayControl({
    localDomains: ['example.org'], relayDomains: ['*.partner.test'], networks: ['127.0.0.1/32', '::1/128', '10.1.0.0/16', '192.0.2.7'],
  });

  it('trusts only the configured networks, IPv4-mapped addresses included', () => {
    expect(relay.trusted('127.0.0.1')).toBe(true);
    expect(relay.trusted('::ffff:127.0.0.1')).toBe(true);
    expect(relay.trusted('::1')).toBe(true);
    expect(relay.trusted('10.1.255.3')).toBe(true);
    expect(relay.trusted('192.0.2.7')).toBe(true);
    expect(relay.trusted('127.0.0.2')).toBe(false);
    expect(relay.trusted('10.2.0.1')).toBe(false);
    expect(relay.trusted('not an address')).toBe(false);
  });

  it('accepts local domains exactly and relay wildcards for sub-domains only', () => {
    expect(relay.acceptsFromAnyone('alice@example.org')).toBe(true);
    expect(relay.acceptsFromAnyone('alice@EXAMPLE.ORG')).toBe(true);
    expect(relay.acceptsFromAnyone('alice@example.org.')).toBe(true);
    expect(relay.acceptsFromAnyone('alice@sub.example.org')).toBe(false);
    expect(relay.acceptsFromAnyone('bob@mx.partner.test')).toBe(true);
    expect(relay.acceptsFromAnyone('bob@partner.test')).toBe(false);
    expect(relay.acceptsFromAnyone('bob@evilpartner.test')).toBe(false);
    expect(relay.acceptsFromAnyone('postmaster')).toBe(false);
  });

  it('is closed by default: no domains, loopback only', () => {
    const closed = createRelayControl({ localDomains: [], relayDomains: [], networks: ['127.0.0.1/32', '::1/128'] });
    expect(closed.acceptsFromAnyone('anyone@example.org')).toBe(false);
    expect(closed.trusted('192.0.2.1')).toBe(false);
  });
});
