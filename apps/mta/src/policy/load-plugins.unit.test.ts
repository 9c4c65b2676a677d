import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, policyConfigSchema } from '@elemta/infra/config';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPlugins } from './load-plugins.js';
import { definePlugin, type PluginServices } from './plugin-api.js';
import { hookContext, messageView } from './testing/hook-context.js';

const dir = mkdtempSync(join(tmpdir(), 'elemta-plugins-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const silent = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const services = { dns: { lookup: async () => { throw new Error('no DNS here'); } }, db: null, log: silent, hostname: 'mx.test', node: 'n1', dataDir: dir, now: () => new Date() } as unknown as PluginServices;
const example = fileURLToPath(new URL('../../examples/plugins/header-checks.plugin.mjs', import.meta.url));

const echo = definePlugin({
  name: 'echo',
  parseConfig: (raw) => {
    const { word } = raw as { word?: unknown };
    if (typeof word !== 'string') throw new Error('word: must be a string');
    return { word };
  },
  setup: ({ word }) => ({ connect: () => ({ kind: 'continue', annotations: { word } }) }),
});
// built-in names only (the config schema knows them); the echo plugin stands in for them
const registry = new Map([['access-lists', echo as never]]);
const policy = (plugins: unknown) => policyConfigSchema.parse({ plugins });
const refusal = async (plugins: unknown, listeners = ['mx']) =>
  loadPlugins(policy(plugins), new Map([...registry, ['dnsbl', echo as never]]), services, listeners).then(() => { throw new Error('loaded'); }, (e: unknown) => e as ConfigError);

describe('loadPlugins', () => {
  it('loads built-ins with their config, skips disabled ones and applies timeouts and onError', async () => {
    const loaded = await loadPlugins(policyConfigSchema.parse({
      timeoutMs: 900, plugins: [{ name: 'access-lists', config: { word: 'hi' }, onError: 'continue' }, { name: 'dnsbl', enabled: false }],
    }), new Map([...registry, ['dnsbl', echo as never]]), services, ['mx']);
    expect(loaded.map((p) => [p.name, p.timeoutMs, p.onError])).toEqual([['access-lists', 900, 'continue']]);
    expect(await loaded[0]!.hooks.connect!(hookContext('connect', {}))).toEqual({ kind: 'continue', annotations: { word: 'hi' } });
  });

  it('loads the README example plugin from its module path and runs it', async () => {
    const [plugin] = await loadPlugins(policy([{ name: 'header-checks', module: example, config: { rules: [
      { header: 'Subject', pattern: '(?i)lottery', action: 'reject', text: 'Looks like spam' },
      { header: 'X-Mailer', pattern: '^Mass', action: 'quarantine' },
    ] } }]), registry, services, ['mx']);
    const data = (raw: string) => plugin!.hooks.data!(hookContext('data', { message: messageView(raw) }));
    expect(await data('Subject: You are a LOTTERY winner\r\n\r\nbody')).toMatchObject({ kind: 'reject', code: 550, text: 'Looks like spam' });
    expect(await data('X-Mailer: MassMailer 3\r\nSubject: hi\r\n\r\nbody')).toMatchObject({ kind: 'quarantine' });
    expect(await data('Subject: hello\r\n\r\nbody')).toEqual({ kind: 'continue' });
  });

  it('stops start-up naming the key: bad plugin config, unloadable module, no plugin export, unknown listener', async () => {
    expect((await refusal([{ name: 'access-lists', config: { word: 3 } }])).message).toMatch(/policy\.plugins\.0\.config: word: must be a string/);
    expect((await refusal([{ name: 'x', module: join(dir, 'missing.mjs') }])).message).toMatch(/policy\.plugins\.0\.module: cannot load/);
    writeFileSync(join(dir, 'empty.mjs'), 'export const nothing = 1;\n');
    expect((await refusal([{ name: 'x', module: join(dir, 'empty.mjs') }])).message).toMatch(/policy\.plugins\.0\.module: .* must export a plugin/);
    expect((await refusal([{ name: 'access-lists', config: { word: 'a' }, listeners: ['inbound'] }])).message).toMatch(/policy\.plugins\.0\.listeners: no listener named inbound/);
    expect(await refusal([{ name: 'access-lists', config: { word: 3 } }])).toBeInstanceOf(ConfigError);
  });

  it('closes the plugins already set up when a later one stops start-up', async () => {
    const closed: string[] = [];
    const closing = definePlugin({ name: 'closing', setup: () => ({ close: () => { closed.push('closing'); } }) });
    const failing = loadPlugins(policy([{ name: 'access-lists' }, { name: 'dnsbl', config: { word: 3 } }]),
      new Map([['access-lists', closing as never], ['dnsbl', echo as never]]), services, ['mx']);
    await expect(failing).rejects.toThrow(/policy\.plugins\.1\.config/);
    expect(closed).toEqual(['closing']);
  });
});
