import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import type { LoggerOptions } from './logger.js';

const capture = (options: Omit<LoggerOptions, 'destination'>) => {
  const lines: string[] = [];
  const log = createLogger({ ...options, destination: { write: (chunk: string) => { lines.push(chunk); } } });
  const records = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { log, lines, records };
};

describe('createLogger', () => {
  it('writes JSON lines with node, textual level and an ISO timestamp', () => {
    const { log, records } = capture({ level: 'info', node: 'mx1' });
    log.child({ component: 'smtp' }).info({ sessionId: 's1' }, 'session started');
    const [record] = records();
    expect(record).toMatchObject({ level: 'info', node: 'mx1', component: 'smtp', sessionId: 's1', msg: 'session started' });
    expect(record?.['time']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('drops records below the configured level', () => {
    const { log, lines } = capture({ level: 'warn', node: 'n' });
    log.info('quiet');
    log.debug('quieter');
    log.warn('loud');
    expect(lines).toHaveLength(1);
    expect(capture({ level: 'silent', node: 'n' }).lines).toHaveLength(0);
  });

  it('redacts passwords, API keys and authorization headers', () => {
    const { log, lines, records } = capture({ level: 'info', node: 'n' });
    log.info({
      password: 'p1', apiKey: 'k1', authorization: 'Bearer a1',
      auth: { user: 'u', password: 'p2' }, key: { apiKey: 'k2' },
      req: { headers: { authorization: 'Bearer a2', host: 'h' } },
    }, 'secrets');
    expect(lines.join('')).not.toMatch(/p1|p2|k1|k2|a1|a2/);
    expect(records()[0]).toMatchObject({
      password: '[redacted]', auth: { user: 'u', password: '[redacted]' }, req: { headers: { host: 'h' } },
    });
  });

  it('prints short human-readable lines when pretty', () => {
    const { log, lines } = capture({ level: 'info', node: 'n', pretty: true });
    log.warn({ code: 451, reason: 'try later' }, 'delivery deferred');
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN  delivery deferred code=451 reason="try later"\n$/);
  });
});
