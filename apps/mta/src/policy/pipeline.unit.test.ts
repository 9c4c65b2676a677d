import { createMetrics } from '@elemta/infra/metrics';
import { describe, expect, it } from 'vitest';
import { testSession } from './testing/hook-context.js';
import { createPolicyPipeline, type LoadedPlugin } from './pipeline.js';
import type { Hooks } from './plugin-api.js';

const logged: Array<{ obj: object; msg: string }> = [];
const log = { debug: () => {}, info: () => {}, warn: () => {}, error: (obj: object, msg: string) => void logged.push({ obj, msg }) };

const plugin = (name: string, hooks: Hooks, options: Partial<LoadedPlugin> = {}): LoadedPlugin =>
  ({ name, hooks, timeoutMs: 200, onError: 'tempfail', listeners: null, ...options });

const pipelineOf = (...plugins: LoadedPlugin[]) => {
  const metrics = createMetrics();
  return { pipeline: createPolicyPipeline(plugins, { log, metrics, now: () => new Date('2026-11-21T00:00:00Z') }), metrics };
};
const rcpt = (address = 'bob@example.org') =>
  ({ listener: 'mx', session: testSession(), transaction: { mailFrom: 'a@example.net', params: {}, rcptTo: [] }, args: { address }, annotations: {} });

describe('policy pipeline', () => {
  it('runs plugins in order, stops at the first terminal verdict and passes annotations along', async () => {
    const seen: string[] = [];
    const { pipeline } = pipelineOf(
      plugin('first', { rcpt: (ctx) => { seen.push(`first:${JSON.stringify(ctx.annotations)}`); return { kind: 'continue', annotations: { score: '1' } }; } }),
      plugin('second', { rcpt: (ctx) => { seen.push(`second:${ctx.annotations['score']}`); return { kind: 'tempfail', code: 451, enhancedCode: '4.7.1', text: 'Greylisted' }; } }),
      plugin('third', { rcpt: () => { seen.push('third'); return { kind: 'continue' }; } }),
    );
    const outcome = await pipeline.run('rcpt', rcpt());
    expect(seen).toEqual(['first:{}', 'second:1']);
    expect(outcome).toMatchObject({ verdict: 'tempfail', decidedBy: 'second', reply: { code: 451, enhancedCode: '4.7.1', command: 'RCPT' } });
  });

  it('turns a throwing hook into its onError verdict, logs the plugin name and goes on living', async () => {
    logged.length = 0;
    const { pipeline, metrics } = pipelineOf(plugin('broken', { rcpt: () => { throw new Error('boom'); } }));
    const outcome = await pipeline.run('rcpt', rcpt());
    expect(outcome).toMatchObject({ verdict: 'tempfail', decidedBy: 'broken', reply: { code: 451, enhancedCode: '4.3.0' } });
    expect(outcome.evaluations[0]?.reason).toBe('plugin broken failed: boom');
    expect(logged).toHaveLength(1);
    expect(logged[0]!.msg).toBe('policy plugin broken failed: boom');
    expect(logged[0]!.obj).toMatchObject({ plugin: 'broken', stage: 'rcpt' });
    expect(await metrics.registry.getSingleMetricAsString('elemta_policy_verdicts_total')).toContain('plugin="broken",stage="rcpt",verdict="error"} 1');
  });

  it('times a slow hook out, aborts its signal and applies onError (continue here)', async () => {
    let aborted = false;
    const { pipeline } = pipelineOf(
      plugin('slow', { rcpt: (ctx) => new Promise(() => { ctx.signal.addEventListener('abort', () => { aborted = true; }); }) }, { timeoutMs: 50, onError: 'continue' }),
      plugin('next', { rcpt: () => ({ kind: 'reject', code: 550, enhancedCode: '5.1.1', text: 'No such user' }) }),
    );
    const outcome = await pipeline.run('rcpt', rcpt());
    expect(aborted).toBe(true);
    expect(outcome).toMatchObject({ verdict: 'reject', decidedBy: 'next' });
  });

  it("gives a hook the session's end through its signal: when it waits, and when it reads the signal after the end", async () => {
    const session = new AbortController();
    let waiting: AbortSignal | undefined;
    let late: AbortSignal | undefined;
    const { pipeline, metrics } = pipelineOf(
      plugin('waits', { rcpt: (ctx) => new Promise((resolve) => {
        waiting = ctx.signal;
        ctx.signal.addEventListener('abort', () => resolve({ kind: 'continue' }));
      }) }),
      plugin('late', { rcpt: (ctx) => { late = ctx.signal; return { kind: 'continue' }; } }),
      plugin('sync', { rcpt: () => ({ kind: 'continue', annotations: { seen: 'yes' } }) }),
    );
    const run = pipeline.run('rcpt', { ...rcpt(), signal: session.signal });
    await new Promise((resolve) => setImmediate(resolve));
    expect(waiting?.aborted).toBe(false);
    session.abort(new Error('session ended'));
    const outcome = await run;
    expect(waiting?.aborted).toBe(true);
    expect(late?.aborted).toBe(true);
    expect((late?.reason as Error).message).toBe('session ended');
    expect(outcome.annotations).toEqual({ seen: 'yes' });
    expect(await metrics.registry.getSingleMetricAsString('elemta_policy_hook_duration_seconds'))
      .toContain('elemta_policy_hook_duration_seconds_count{plugin="sync",stage="rcpt"} 1');
  });

  it('treats an invalid result as a failure: a plugin cannot answer 250 to a reject', async () => {
    const { pipeline } = pipelineOf(plugin('sloppy', { rcpt: () => ({ kind: 'reject', code: 250, enhancedCode: '2.0.0', text: 'ok' }) }, { onError: 'reject' }));
    expect(await pipeline.run('rcpt', rcpt())).toMatchObject({ verdict: 'reject', reply: { code: 554, enhancedCode: '5.3.0' } });
  });

  it('runs a plugin only on its listeners and reports which stages are hooked', async () => {
    const { pipeline } = pipelineOf(plugin('mx-only', { rcpt: () => ({ kind: 'reject', code: 550, enhancedCode: '5.7.1', text: 'No' }) }, { listeners: new Set(['mx']) }));
    expect(pipeline.hooks('rcpt', 'mx')).toBe(true);
    expect(pipeline.hooks('rcpt', 'submission')).toBe(false);
    expect(pipeline.hooks('data', 'mx')).toBe(false);
    expect((await pipeline.run('rcpt', { ...rcpt(), listener: 'submission' })).verdict).toBe('continue');
  });

  it('closes every plugin even when one fails to close', async () => {
    const closed: string[] = [];
    const { pipeline } = pipelineOf(
      plugin('a', { close: () => { throw new Error('nope'); } }),
      plugin('b', { close: () => { closed.push('b'); } }),
    );
    await pipeline.close();
    expect(closed).toEqual(['b']);
  });
});
