import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from './config-error.js';
import { loadConfig } from './load-config.js';

const dir = mkdtempSync(join(tmpdir(), 'elemta-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const yamlFile = (text: string): string => {
  const file = join(dir, `config-${files++}.yaml`);
  writeFileSync(file, text);
  return file;
};

/** The ConfigError's message, so each case can assert the exact key and problem. */
const failure = (env: Record<string, string>): string => {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message;
  }
  throw new Error('expected a ConfigError');
};

describe('loadConfig defaults', () => {
  it('gives the documented defaults with an empty environment', () => {
    expect(loadConfig({})).toEqual({
      dataDir: resolve('./.elemta'), node: hostname(), hostname: hostname(),
      smtp: {
        host: '127.0.0.1', port: 2525, submissionPort: 2587, smtpsPort: 0, maxMessageSize: 26214400, maxRecipients: 100,
        maxMessagesPerSession: 1000, maxConnections: 1000, maxConnectionsPerIp: 50,
        socketTimeoutMs: 300000, sessionTimeoutMs: 3600000, closeTimeoutMs: 30000, disableReverseLookup: false,
        allowInsecureAuth: false, authMaxFailures: 10, authFailureDelayMs: 1000,
        tls: {},
        relay: { localDomains: [], relayDomains: [], networks: ['127.0.0.1/32', '::1/128'] },
      },
      http: { host: '127.0.0.1', port: 8025, maxBodySize: 41943040, corsOrigins: [] },
      postgres: { kind: 'embedded', port: 5433, poolSize: 20 },
      eventStore: { kind: 'postgres', groupCommitMaxBatch: 500 },
      blobStore: { kind: 'tiered', inlineMaxBytes: 65536 },
      delivery: {
        mode: 'capture',
        routes: { defaultRoute: 'capture', domains: {}, defaultZone: 'default', defaultPriority: 'normal', rules: [] },
        transports: {
          relay: { kind: 'relay', port: 25, tls: 'opportunistic', connectTimeout: 30, maxConnectionsPerDestination: 10, maxMessagesPerConnection: 100 },
          capture: { kind: 'capture' },
        },
        zones: { default: { bindAddresses: [], maxConnections: 100, domainThrottles: {} } },
        retry: { initialDelay: 300, multiplier: 2, maxDelay: 14400, jitter: 0.1, maxQueueTime: 432000 },
        workers: { enabled: true, concurrency: 100, batchSize: 100, lease: 300, pollInterval: 1 },
        dns: { servers: [], timeout: 5 },
        signing: { dkim: {} },
      },
      policy: { timeoutMs: 5000, onError: 'tempfail', plugins: [{ name: 'email-auth', enabled: true }, { name: 'default-headers', enabled: true }] },
      log: { level: 'info' },
    });
  });
});

describe('loadConfig from the environment', () => {
  it('applies every ELEMTA_* override', () => {
    const config = loadConfig({
      ELEMTA_DATA_DIR: 'var/elemta', ELEMTA_NODE_NAME: 'mx1', ELEMTA_HOSTNAME: 'mx1.example.org',
      ELEMTA_SMTP_HOST: '0.0.0.0', ELEMTA_SMTP_PORT: '25', ELEMTA_SUBMISSION_PORT: '0', ELEMTA_MAX_MESSAGE_SIZE: '10MB',
      ELEMTA_HTTP_HOST: '::', ELEMTA_HTTP_PORT: '8080', ELEMTA_PG_PORT: '5500', ELEMTA_PG_POOL_SIZE: '5',
      ELEMTA_BLOB_STORE: 'postgres', ELEMTA_DELIVERY_MODE: 'relay', ELEMTA_LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({
      dataDir: resolve('var/elemta'), node: 'mx1', hostname: 'mx1.example.org',
      smtp: { host: '0.0.0.0', port: 25, submissionPort: 0, maxMessageSize: 10_000_000 },
      http: { host: '::', port: 8080 },
      postgres: { kind: 'embedded', port: 5500, poolSize: 5 },
      blobStore: { kind: 'postgres', inlineMaxBytes: 65536 },
      delivery: { mode: 'relay', routes: { defaultRoute: 'relay' } },
      log: { level: 'debug' },
    });
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', ELEMTA_SMTP_PORT: ' ' })).toMatchObject({ postgres: { kind: 'embedded' }, smtp: { port: 2525 } });
  });

  it('selects an external PostgreSQL when DATABASE_URL is set', () => {
    const url = 'postgresql://elemta:secret@db.example.org:5432/elemta';
    expect(loadConfig({ DATABASE_URL: url, ELEMTA_PG_PORT: '5500' }).postgres).toEqual({ kind: 'external', url, poolSize: 20 });
  });

  it('selects EventStoreDB when EVENTSTORE_URL is set', () => {
    const url = 'esdb+discover://es1:2113,es2:2113?tls=false';
    expect(loadConfig({ EVENTSTORE_URL: url }).eventStore).toEqual({ kind: 'esdb', url });
    expect(loadConfig({ EVENTSTORE_URL: 'esdb://localhost:2113' }).eventStore.kind).toBe('esdb');
  });
});

describe('loadConfig from a YAML file', () => {
  it('reads every slice, with size strings, and lower-cases routing domains', () => {
    const file = yamlFile(`
dataDir: /srv/elemta
smtp: { port: 2626, maxMessageSize: 512KiB, maxRecipients: 500, disableReverseLookup: true }
http: { port: 9000, maxBodySize: 2MiB, corsOrigins: ["https://dash.example.org", "http://localhost:3000"] }
postgres: { url: "postgres://u:p@db/elemta", poolSize: 50 }
eventStore: { groupCommitMaxBatch: 100 }
delivery:
  mode: relay
  routes: { defaultRoute: capture, domains: { Example.ORG: lmtp }, defaultZone: bulk, defaultPriority: low }
  transports: { lmtp: { kind: lmtp, host: 127.0.0.1 } }
  zones: { bulk: { bindAddresses: [127.0.0.2], throttle: 100/hour } }
  retry: { initialDelay: 1m, maxQueueTime: 2d }
log: { level: warn }
`);
    expect(loadConfig({ ELEMTA_CONFIG: file })).toMatchObject({
      dataDir: '/srv/elemta',
      smtp: { port: 2626, maxMessageSize: 524288, maxRecipients: 500, disableReverseLookup: true, submissionPort: 2587 },
      http: { port: 9000, host: '127.0.0.1', maxBodySize: 2 * 1024 * 1024, corsOrigins: ['https://dash.example.org', 'http://localhost:3000'] },
      postgres: { kind: 'external', url: 'postgres://u:p@db/elemta', poolSize: 50 },
      eventStore: { kind: 'postgres', groupCommitMaxBatch: 100 },
      delivery: {
        mode: 'relay',
        routes: { defaultRoute: 'capture', domains: { 'example.org': 'lmtp' }, defaultZone: 'bulk', defaultPriority: 'low' },
        transports: { lmtp: { kind: 'lmtp', host: '127.0.0.1', port: 24 } },
        zones: { bulk: { bindAddresses: ['127.0.0.2'], throttle: { count: 100, windowSeconds: 3600 } } },
        retry: { initialDelay: 60, maxQueueTime: 172800 },
      },
      log: { level: 'warn' },
    });
  });

  it('lets the environment win over the file', () => {
    const file = yamlFile('smtp: { port: 2626 }\npostgres: { port: 6000 }\neventStore: { groupCommitMaxBatch: 10 }\n');
    const config = loadConfig({ ELEMTA_CONFIG: file, ELEMTA_SMTP_PORT: '2727', DATABASE_URL: 'postgres://h/db', EVENTSTORE_URL: 'esdb://h:2113' });
    expect(config.smtp.port).toBe(2727);
    expect(config.postgres).toEqual({ kind: 'external', url: 'postgres://h/db', poolSize: 20 });
    expect(config.eventStore).toEqual({ kind: 'esdb', url: 'esdb://h:2113' });
  });

  it('accepts an empty file', () => {
    expect(loadConfig({ ELEMTA_CONFIG: yamlFile('') }).smtp.port).toBe(2525);
  });

  it('names a file it cannot read', () => {
    const missing = join(dir, 'missing.yaml');
    expect(failure({ ELEMTA_CONFIG: missing })).toMatch(new RegExp(`^cannot read config file ${missing}: ENOENT`));
  });

  it('names a file that is not YAML, or not a mapping', () => {
    const broken = yamlFile('smtp: [\n');
    expect(failure({ ELEMTA_CONFIG: broken })).toContain(`config file ${broken} is not valid YAML`);
    const list = yamlFile('- 1\n- 2\n');
    expect(failure({ ELEMTA_CONFIG: list })).toContain(`config file ${list} must hold a mapping`);
  });

  it('names every unknown key', () => {
    const file = yamlFile('smtp: { prot: 25 }\ndelivery: { routes: { zone: x } }\nextra: 1\n');
    const message = failure({ ELEMTA_CONFIG: file });
    expect(message).toContain(`Invalid configuration (config file ${file} and the environment):`);
    expect(message).toContain('  smtp.prot: unknown key');
    expect(message).toContain('  delivery.routes.zone: unknown key');
    expect(message).toContain('  extra: unknown key');
  });

  it('refuses settings of the other branch of a union', () => {
    const file = yamlFile('postgres: { url: "postgres://h/db", port: 5433 }\n');
    expect(failure({ ELEMTA_CONFIG: file })).toContain('  postgres.port: unknown key');
    expect(failure({ ELEMTA_CONFIG: yamlFile('postgres: { kind: external }\n') }))
      .toContain('  postgres.url: is required: a URL starting with postgres:// or postgresql://');
    expect(failure({ ELEMTA_CONFIG: yamlFile('eventStore: { kind: kafka }\n') }))
      .toContain('  eventStore.kind: must be "postgres" or "esdb"');
  });
});

describe('loadConfig refusals', () => {
  it.each([
    ['ELEMTA_SMTP_PORT', 'abc', 'smtp.port', 'must be a port number from 1 to 65535, got "abc"'],
    ['ELEMTA_SMTP_PORT', '70000', 'smtp.port', 'must be a port number from 1 to 65535, got "70000"'],
    ['ELEMTA_SMTP_PORT', '0', 'smtp.port', 'must be a port number from 1 to 65535, got "0"'],
    ['ELEMTA_SUBMISSION_PORT', '-1', 'smtp.submissionPort', 'must be a port number from 1 to 65535, or 0 to disable, got "-1"'],
    ['ELEMTA_HTTP_PORT', '8025.5', 'http.port', 'must be a port number from 1 to 65535, got "8025.5"'],
    ['ELEMTA_PG_PORT', '65536', 'postgres.port', 'must be a port number from 1 to 65535, got "65536"'],
    ['ELEMTA_MAX_MESSAGE_SIZE', 'huge', 'smtp.maxMessageSize', 'must be a size from 1 byte to 2 GiB'],
    ['ELEMTA_MAX_MESSAGE_SIZE', '3GiB', 'smtp.maxMessageSize', 'must be a size from 1 byte to 2 GiB'],
    ['ELEMTA_LOG_LEVEL', 'loud', 'log.level', 'must be one of fatal, error, warn, info, debug, trace, silent'],
    ['ELEMTA_BLOB_STORE', 's3', 'blobStore.kind', 'must be "tiered", "file" or "postgres"'],
    ['ELEMTA_DELIVERY_MODE', 'smoke', 'delivery.mode', 'must be "capture" or "relay"'],
    ['DATABASE_URL', 'mysql://u:p@h/db', 'postgres.url', 'must be a URL starting with postgres:// or postgresql://'],
    ['EVENTSTORE_URL', 'http://h:2113', 'eventStore.url', 'must be a URL starting with esdb:// or esdb+discover://'],
    ['ELEMTA_NODE_NAME', 'two words', 'node', 'must be a node name without spaces'],
  ])('%s=%s fails naming %s', (env, value, key, problem) => {
    expect(failure({ [env]: value })).toContain(`\n  ${key}: ${problem}`);
    expect(failure({ [env]: value })).toContain(`(from ${env})`);
  });

  it('refuses a CORS origin that is not exactly scheme, host and port', () => {
    const problems = failure({ ELEMTA_CONFIG: yamlFile('http: { corsOrigins: ["https://dash.example.org/", "dash.example.org"] }') });
    expect(problems).toContain('  http.corsOrigins.0: must be an origin such as https://dashboard.example.org (scheme, host and port only');
    expect(problems).toContain('  http.corsOrigins.1: must be an origin');
  });

  it('stops on unknown route and zone names, naming the key', () => {
    const file = yamlFile([
      'delivery:',
      '  routes: { defaultRoute: smarthost, domains: { example.org: nowhere }, defaultZone: bulk, rules: [ { senderDomain: a.test, zone: vip } ] }',
      '  zones: { mail: { throttle: lots } }',
      '  transports: { out: { kind: carrier-pigeon } }',
      '',
    ].join('\n'));
    const message = failure({ ELEMTA_CONFIG: file });
    expect(message).toContain('  delivery.transports.out.kind: must be relay, smarthost, lmtp, maildir or capture');
    expect(message).toContain('  delivery.zones.mail.throttle: must be a rate such as "100/hour"');
    const routes = failure({ ELEMTA_CONFIG: yamlFile('delivery: { routes: { defaultRoute: smarthost, domains: { example.org: nowhere }, defaultZone: bulk, rules: [ { zone: vip } ] } }\n') });
    expect(routes).toContain('  delivery.routes.defaultRoute: unknown route "smarthost"; define it under delivery.transports or use one of "relay", "capture"');
    expect(routes).toContain('  delivery.routes.domains.example.org: unknown route "nowhere"');
    expect(routes).toContain('  delivery.routes.defaultZone: unknown zone "bulk"; define it under delivery.zones or use one of "default"');
    expect(routes).toContain('  delivery.routes.rules.0.zone: unknown zone "vip"');
  });

  it('reads durations and rates in their usual spellings', () => {
    const config = loadConfig({ ELEMTA_CONFIG: yamlFile('delivery: { retry: { initialDelay: 500ms, maxDelay: 2h, maxQueueTime: 5d }, zones: { bulk: { domainThrottles: { gmail.com: 10/minute } } } }\n') });
    expect(config.delivery.retry).toMatchObject({ initialDelay: 0.5, maxDelay: 7200, maxQueueTime: 432000 });
    expect(config.delivery.zones['bulk']?.domainThrottles).toEqual({ 'gmail.com': { count: 10, windowSeconds: 60 } });
    expect(failure({ ELEMTA_CONFIG: yamlFile('delivery: { retry: { initialDelay: 1h, maxDelay: 1m } }\n') }))
      .toContain('  delivery.retry.maxDelay: must not be shorter than delivery.retry.initialDelay');
  });

  it('never echoes a database URL, which may hold a password', () => {
    expect(failure({ DATABASE_URL: 'mysql://u:hunter2@h/db' })).not.toContain('hunter2');
  });

  it('lists every problem at once, one per line', () => {
    const error = (() => {
      try {
        loadConfig({ ELEMTA_SMTP_PORT: 'abc', ELEMTA_HTTP_PORT: '70000', ELEMTA_LOG_LEVEL: 'loud' });
      } catch (err) {
        return err as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(error.exitCode).toBe(78);
    expect(error.issues).toHaveLength(3);
    expect(error.message.split('\n')).toHaveLength(4);
  });

  it('refuses bad values from the file with their key', () => {
    const file = yamlFile('smtp: { maxRecipients: 0, disableReverseLookup: maybe }\ndelivery: { routes: { domains: { "bad domain": relay } } }\n');
    const message = failure({ ELEMTA_CONFIG: file });
    expect(message).toContain('  smtp.maxRecipients: must be an integer from 1 to 100000, got 0');
    expect(message).toContain('  smtp.disableReverseLookup: must be true or false, got "maybe"');
    expect(message).toContain('  delivery.routes.domains.bad domain: must be a domain name');
  });
});

describe('loadConfig: listeners, TLS, relay control and plugins', () => {
  const fromYaml = (yaml: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'elemta-config-'));
    writeFileSync(join(dir, 'elemta.yaml'), yaml);
    return { dir, load: () => loadConfig({ ELEMTA_CONFIG: join(dir, 'elemta.yaml') }) };
  };
  const problems = (yaml: string) => {
    try {
      fromYaml(yaml).load();
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error('expected the configuration to be refused');
  };

  it('reads listeners with their own limits and resolves paths against the config file', () => {
    const { dir, load } = fromYaml([
      'smtp:',
      '  tls: { certFile: tls/cert.pem, keyFile: /etc/key.pem, level: strict }',
      '  relay: { localDomains: [Example.ORG], networks: [10.0.0.0/8, "2001:db8::/32", 192.0.2.7] }',
      '  listeners:',
      '    - { name: inbound, role: mx, port: 25, maxConnectionsPerIp: 5 }',
      '    - { name: smtps, role: smtps, port: 465, tlsLevel: compat }',
      'policy:',
      '  plugins: [{ name: dnsbl, config: { zones: [bl.test] } }, { name: mine, module: ./plugins/mine.mjs, onError: continue }]',
    ].join('\n'));
    const config = load();
    expect(config.smtp.tls).toEqual({ certFile: join(dir, 'tls/cert.pem'), keyFile: '/etc/key.pem', level: 'strict' });
    expect(config.smtp.relay.localDomains).toEqual(['example.org']);
    expect(config.smtp.listeners).toEqual([
      { name: 'inbound', role: 'mx', port: 25, starttls: true, maxConnectionsPerIp: 5 },
      { name: 'smtps', role: 'smtps', port: 465, starttls: true, tlsLevel: 'compat' },
    ]);
    expect(config.policy.plugins[1]).toEqual({ name: 'mine', module: join(dir, 'plugins/mine.mjs'), enabled: true, onError: 'continue' });
  });

  it('names the key and the problem for bad listeners, TLS, networks and plugins', () => {
    expect(problems('smtp: { listeners: [{ name: a, role: relay, port: 25 }] }')).toMatch(/smtp\.listeners\.0\.role: must be mx, submission or smtps/);
    expect(problems('smtp: { listeners: [{ name: a, role: mx, port: 25 }, { name: a, role: mx, port: 26 }] }')).toMatch(/smtp\.listeners\.1\.name: listener a is listed twice/);
    expect(problems('smtp: { tls: { certFile: /c.pem } }')).toMatch(/smtp\.tls\.certFile: certFile and keyFile go together/);
    expect(problems('smtp: { tls: { level: medium } }')).toMatch(/smtp\.tls\.level: must be one of compat, modern, strict/);
    expect(problems('smtp: { relay: { networks: [10.0.0.0/33] } }')).toMatch(/smtp\.relay\.networks\.0: must be an IP address or a CIDR block/);
    expect(problems('smtp: { relay: { localDomains: ["not a domain"] } }')).toMatch(/smtp\.relay\.localDomains\.0: must be a domain/);
    expect(problems('policy: { plugins: [{ name: spamassassin }] }')).toMatch(/policy\.plugins\.0\.name: is not a built-in plugin/);
    expect(problems('policy: { plugins: [{ name: dnsbl }, { name: dnsbl }] }')).toMatch(/policy\.plugins\.1\.name: plugin dnsbl is listed twice/);
    expect(problems('policy: { onError: explode }')).toMatch(/policy\.onError: must be tempfail, continue or reject/);
  });
});
