/** One configurable setting, for the README's table and `.env.example`. */
export type Setting = Readonly<{
  /** Dotted key in the YAML file and in ElemtaConfig; null for ELEMTA_CONFIG itself. */
  key: string | null;
  /** The environment variable that overrides it, or null when it is set in the YAML file only. */
  env: string | null;
  default: string;
  description: string;
  /** A valid value for the environment variable (documentation and the sync test). */
  example?: string;
}>;

/**
 * Every setting, in README order. `loadConfig` reads the environment through this table, so a variable
 * documented here is exactly a variable that works; a unit test keeps it in step with the schema.
 */
export const settingsTable: readonly Setting[] = [
  { key: null, env: 'ELEMTA_CONFIG', default: 'none (defaults)', description: 'YAML file with any of the keys below; the environment wins over it', example: '/etc/elemta/elemta.yaml' },
  { key: 'dataDir', env: 'ELEMTA_DATA_DIR', default: './.elemta', description: 'Data directory (embedded PostgreSQL, message bodies, keys); relative to the working directory', example: '/var/lib/elemta' },
  { key: 'node', env: 'ELEMTA_NODE_NAME', default: 'os.hostname()', description: 'Name of this node in logs and event metadata', example: 'mx1' },
  { key: 'hostname', env: 'ELEMTA_HOSTNAME', default: 'os.hostname()', description: 'Name announced in the SMTP greeting and EHLO reply', example: 'mx1.example.org' },
  { key: 'smtp.host', env: 'ELEMTA_SMTP_HOST', default: '127.0.0.1', description: 'Address the SMTP listeners bind to', example: '0.0.0.0' },
  { key: 'smtp.port', env: 'ELEMTA_SMTP_PORT', default: '2525', description: 'Inbound SMTP (MX) port', example: '25' },
  { key: 'smtp.submissionPort', env: 'ELEMTA_SUBMISSION_PORT', default: '2587', description: 'Submission port (AUTH required); 0 disables it', example: '587' },
  { key: 'smtp.maxMessageSize', env: 'ELEMTA_MAX_MESSAGE_SIZE', default: '26214400', description: 'Largest accepted message in bytes, or a size such as 25MiB, 10MB, 512KiB', example: '50MiB' },
  { key: 'smtp.smtpsPort', env: 'ELEMTA_SMTPS_PORT', default: '0', description: 'Implicit-TLS submission port (RFC 8314, AUTH required); 0 disables it', example: '465' },
  { key: 'smtp.listeners', env: null, default: 'none (mx, submission and smtps from the ports above)', description: 'SMTP listeners, replacing the ports above: name, role (mx, submission, smtps), host, port, starttls, tlsLevel, allowInsecureAuth, and any of the limits below' },
  { key: 'smtp.maxRecipients', env: null, default: '100', description: 'Recipients per message before 452 (RFC 5321 requires at least 100)' },
  { key: 'smtp.maxMessagesPerSession', env: null, default: '1000', description: 'Messages per SMTP session before 421 closes it' },
  { key: 'smtp.maxConnections', env: null, default: '1000', description: 'Open SMTP connections per listener before new ones get 421' },
  { key: 'smtp.maxConnectionsPerIp', env: null, default: '50', description: 'Open SMTP connections per client IP and listener before new ones get 421' },
  { key: 'smtp.socketTimeoutMs', env: null, default: '300000', description: 'Idle SMTP connection timeout in milliseconds' },
  { key: 'smtp.sessionTimeoutMs', env: null, default: '3600000', description: 'Longest an SMTP session may last, in milliseconds (421 after it)' },
  { key: 'smtp.closeTimeoutMs', env: null, default: '30000', description: 'How long shutdown waits for open SMTP sessions, in milliseconds' },
  { key: 'smtp.disableReverseLookup', env: null, default: 'false', description: 'Skip the reverse DNS lookup of each client' },
  { key: 'smtp.allowInsecureAuth', env: null, default: 'false', description: 'Allow AUTH without TLS (RFC 4954 §4 says no; only behind a TLS-terminating proxy); a listener may set its own allowInsecureAuth' },
  { key: 'smtp.authMaxFailures', env: null, default: '10', description: 'Failed AUTH attempts per client IP or per user within 15 minutes before 454 refuses further attempts' },
  { key: 'smtp.authFailureDelayMs', env: null, default: '1000', description: 'Delay of the reply to the second failed AUTH attempt; it doubles with each failure, up to 8 times this' },
  { key: 'smtp.tls.certFile', env: null, default: 'none (self-signed, made in the data directory)', description: 'PEM certificate chain for STARTTLS and smtps, reloaded when the file changes; with smtp.tls.keyFile' },
  { key: 'smtp.tls.keyFile', env: null, default: 'none', description: 'PEM private key of smtp.tls.certFile' },
  { key: 'smtp.tls.level', env: 'ELEMTA_TLS_LEVEL', default: 'compat on mx, modern on submission and smtps', description: 'TLS floor and ciphers of every listener without its own tlsLevel: compat (TLS 1.0+, broad ciphers), modern (TLS 1.2+, forward-secret AEAD), strict (TLS 1.3 only)', example: 'strict' },
  { key: 'smtp.relay.localDomains', env: null, default: '[]', description: 'Domains this server receives mail for on mx listeners' },
  { key: 'smtp.relay.relayDomains', env: null, default: '[]', description: 'Domains relayed for anyone (backup MX, gateways)' },
  { key: 'smtp.relay.networks', env: null, default: '["127.0.0.1/32","::1/128"]', description: 'Clients that may relay anywhere without AUTH (CIDR blocks); others get 554 5.7.1 for other domains' },
  { key: 'policy.timeoutMs', env: null, default: '5000', description: 'Longest a policy hook may run before its verdict becomes policy.onError' },
  { key: 'policy.onError', env: null, default: 'tempfail', description: 'Verdict of a hook that throws or times out: tempfail (451 4.3.0), continue or reject' },
  { key: 'policy.plugins', env: null, default: 'email-auth, default-headers', description: 'Plugins in the order they run: name (built-in: access-lists, rate-limit, greylist, dnsbl, email-auth, default-headers) or module path, enabled, listeners, timeoutMs, onError, config' },
  { key: 'http.host', env: 'ELEMTA_HTTP_HOST', default: '127.0.0.1', description: 'Address the HTTP server (GraphQL, metrics, dashboard) binds to', example: '0.0.0.0' },
  { key: 'http.port', env: 'ELEMTA_HTTP_PORT', default: '8025', description: 'HTTP port', example: '8080' },
  { key: 'http.maxBodySize', env: null, default: '41943040', description: 'Largest GraphQL request body in bytes, or a size such as 1MiB; larger ones get 413 before more is read. The default carries a sendMessage of smtp.maxMessageSize (25 MiB) as JSON; raise both together' },
  { key: 'http.corsOrigins', env: null, default: '[]', description: 'Browser origins (e.g. https://dashboard.example.org) allowed to call /graphql from their pages (CORS); none by default, so other sites\' pages cannot' },
  { key: 'postgres.kind', env: null, default: 'embedded', description: 'embedded, or external (chosen automatically when a URL is given)' },
  { key: 'postgres.port', env: 'ELEMTA_PG_PORT', default: '5433', description: 'Port of the embedded PostgreSQL on 127.0.0.1', example: '5434' },
  { key: 'postgres.url', env: 'DATABASE_URL', default: 'none (embedded)', description: 'postgres:// URL of an external PostgreSQL; selects postgres.kind external', example: 'postgres://elemta:secret@db.example.org:5432/elemta' },
  { key: 'postgres.poolSize', env: 'ELEMTA_PG_POOL_SIZE', default: '20', description: 'Connections in the PostgreSQL pool', example: '40' },
  { key: 'eventStore.kind', env: null, default: 'postgres', description: 'postgres, or esdb (chosen automatically when a URL is given)' },
  { key: 'eventStore.url', env: 'EVENTSTORE_URL', default: 'none (PostgreSQL event store)', description: 'esdb:// or esdb+discover:// URL of EventStoreDB; selects eventStore.kind esdb', example: 'esdb+discover://es1:2113,es2:2113,es3:2113?tls=false' },
  { key: 'eventStore.groupCommitMaxBatch', env: null, default: '500', description: 'Most appends committed in one PostgreSQL transaction' },
  { key: 'blobStore.kind', env: 'ELEMTA_BLOB_STORE', default: 'tiered', description: 'Where message bodies go: tiered (small ones in PostgreSQL, large ones in files of the data directory), file, or postgres (several nodes that share no disk)', example: 'postgres' },
  { key: 'blobStore.inlineMaxBytes', env: null, default: '65536', description: 'tiered: largest body kept in PostgreSQL; larger ones go to files' },
  { key: 'delivery.mode', env: 'ELEMTA_DELIVERY_MODE', default: 'capture', description: 'capture (nothing leaves; view mail in the dashboard) or relay', example: 'relay' },
  { key: 'delivery.routes.defaultRoute', env: null, default: 'capture (relay when delivery.mode is relay)', description: 'Route for domains not listed in delivery.routes.domains' },
  { key: 'delivery.routes.domains', env: null, default: '{}', description: 'Recipient domain → route name' },
  { key: 'delivery.routes.defaultZone', env: null, default: 'default', description: 'Sending zone of new recipients' },
  { key: 'delivery.routes.defaultPriority', env: null, default: 'normal', description: 'Priority of new recipients: low, normal, high, critical' },
  { key: 'delivery.routes.rules', env: null, default: '[]', description: 'Zone and priority rules, first match wins: sender, senderDomain, recipientDomain, header {name, value} → zone, priority' },
  { key: 'delivery.transports', env: null, default: 'relay (MX, port 25, opportunistic TLS) and capture', description: 'Named routes: kind relay, smarthost (host, port, secure, tls, auth), lmtp (host, port), maildir (root) or capture' },
  { key: 'delivery.zones', env: null, default: 'default (no bind address, 100 connections, no throttle)', description: 'Sending zones: bindAddresses, maxConnections, throttle and domainThrottle such as "100/hour", domainThrottles per domain' },
  { key: 'delivery.retry.initialDelay', env: null, default: '300', description: 'Seconds (or 5m, 4h, 5d) before the first retry of a temporary failure' },
  { key: 'delivery.retry.multiplier', env: null, default: '2', description: 'Each retry waits this many times longer than the one before' },
  { key: 'delivery.retry.maxDelay', env: null, default: '14400', description: 'Longest wait between two attempts' },
  { key: 'delivery.retry.jitter', env: null, default: '0.1', description: 'Random spread of each wait, as a fraction (0.1 = ±10 %)' },
  { key: 'delivery.retry.maxQueueTime', env: null, default: '432000', description: 'After this long in the queue a message expires and its sender gets a DSN' },
  { key: 'delivery.workers.enabled', env: 'ELEMTA_DELIVERY_WORKERS', default: 'true', description: 'Run delivery workers on this node', example: 'false' },
  { key: 'delivery.workers.concurrency', env: null, default: '100', description: 'Deliveries in flight on this node' },
  { key: 'delivery.workers.batchSize', env: null, default: '100', description: 'Messages claimed from the queue per query' },
  { key: 'delivery.workers.lease', env: null, default: '300', description: 'Seconds a claim lasts; messages of a node that died are delivered by others after this' },
  { key: 'delivery.workers.pollInterval', env: null, default: '1', description: 'Seconds between queue polls when nothing wakes the workers' },
  { key: 'delivery.dns.servers', env: null, default: '[]', description: 'DNS resolvers for MX lookups as "ip" or "ip:port"; empty uses the system resolvers' },
  { key: 'delivery.dns.timeout', env: null, default: '5', description: 'Seconds to wait for a DNS answer' },
  { key: 'delivery.signing.dkim', env: null, default: '{}', description: 'DKIM keys per sender domain (the From header\'s, else the envelope sender\'s; sub-domains do not inherit): selector, keyFile (PEM, made by elemta dkim keygen), algorithm (rsa-sha256 or ed25519-sha256; default from the key), headers to sign. Mail from outside is never DKIM-signed' },
  { key: 'delivery.signing.arc.domain', env: null, default: 'none (no ARC sealing)', description: 'ARC-seal (RFC 8617) mail from outside that carries our Authentication-Results and is relayed onward (forwarding), as this domain (d=)' },
  { key: 'delivery.signing.arc.selector', env: null, default: 'none', description: 'Selector of the ARC key (s=)' },
  { key: 'delivery.signing.arc.keyFile', env: null, default: 'none', description: 'PEM RSA private key for ARC sealing' },
  { key: 'log.level', env: 'ELEMTA_LOG_LEVEL', default: 'info', description: 'fatal, error, warn, info, debug, trace or silent', example: 'debug' },
];
