import { domainOf } from '@elemta/domain';
import { BlockList, isIP } from 'node:net';

export type RelaySettings = Readonly<{
  localDomains: readonly string[];
  relayDomains: readonly string[];
  /** CIDR blocks or single addresses. */
  networks: readonly string[];
}>;

/** An IPv4 address mapped into IPv6 (`::ffff:192.0.2.1`, how dual-stack sockets report IPv4 peers) as the IPv4 address it is. */
export const unmappedAddress = (address: string): string => /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1] ?? address;

/** CIDR blocks or single addresses as a membership test; IPv4-mapped IPv6 addresses count as their IPv4 address. */
export const networkMatcher = (entries: readonly string[]): ((address: string) => boolean) => {
  const networks = new BlockList();
  for (const entry of entries) {
    const [address, bits] = entry.split('/');
    const family = isIP(address!) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) networks.addAddress(address!, family);
    else networks.addSubnet(address!, Number(bits), family);
  }
  return (address) => {
    const ip = unmappedAddress(address);
    const family = isIP(ip);
    return family !== 0 && networks.check(ip, family === 6 ? 'ipv6' : 'ipv4');
  };
};

/**
 * Who may relay through an mx listener (Postfix's `mynetworks` + `relay_domains` + `mydestination`): anyone to a
 * local or relay domain, and clients in `networks` (or authenticated, which the listener checks) to any domain.
 * A domain entry `*.example.org` covers sub-domains of example.org, not example.org itself.
 */
export const createRelayControl = (settings: RelaySettings) => {
  const exact = new Set<string>();
  const suffixes: string[] = [];
  for (const domain of [...settings.localDomains, ...settings.relayDomains]) {
    if (domain.startsWith('*.')) suffixes.push(domain.slice(1));
    else exact.add(domain);
  }
  return {
    /** The client address is in the relay networks. */
    trusted: networkMatcher(settings.networks),
    /** Mail to this recipient is accepted from anyone: its domain is local or relayed. */
    acceptsFromAnyone: (recipient: string): boolean => {
      const domain = domainOf(recipient);
      if (domain === '') return false;
      return exact.has(domain) || suffixes.some((s) => domain.endsWith(s));
    },
  };
};

export type RelayControl = ReturnType<typeof createRelayControl>;
