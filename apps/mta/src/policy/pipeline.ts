import {
  checkResult, combineResults, failureResult,
  type HookResult, type PolicyStage, type StageOutcome,
} from '@elemta/domain';
import type { HookContext, Hooks, PluginLog, SessionView, StageArgs, TransactionView } from './plugin-api.js';

/** A plugin ready to run: its hooks and the settings of its config entry. */
export type LoadedPlugin = Readonly<{
  name: string;
  hooks: Hooks;
  timeoutMs: number;
  onError: 'tempfail' | 'continue' | 'reject';
  /** Listener names it runs on; null for all. */
  listeners: ReadonlySet<string> | null;
}>;

type Log = PluginLog & { child?: (bindings: object) => PluginLog };
type Counter = { labels: (labels: Record<string, string>) => { inc: () => void } };
type Histogram = { labels: (labels: Record<string, string>) => { observe: (value: number) => void } };

export type PipelineDeps = Readonly<{
  log: Log;
  metrics: Readonly<{ policyVerdicts: Counter; policyHookDuration: Histogram }>;
  now: () => Date;
}>;

export type StageInput<S extends PolicyStage> = Readonly<{
  /** The listener the session came in on; null outside SMTP (delivery, API submissions). */
  listener: string | null;
  session: SessionView | null;
  transaction: TransactionView | null;
  args: StageArgs[S];
  annotations: Readonly<Record<string, string>>;
  /** Aborted when the session ends; hooks also get their own timeout. */
  signal?: AbortSignal;
}>;

/** A child logger made on the first line a hook logs: most hooks never log, and a child per hook call costs. */
const lazyChild = (parent: Log, bindings: () => object): PluginLog => {
  let child: PluginLog | undefined;
  const get = (): PluginLog => (child ??= parent.child ? parent.child(bindings()) : parent);
  return {
    debug: (obj, msg) => get().debug(obj, msg), info: (obj, msg) => get().info(obj, msg),
    warn: (obj, msg) => get().warn(obj, msg), error: (obj, msg) => get().error(obj, msg),
  };
};

const isThenable = <T>(value: T | PromiseLike<T>): value is PromiseLike<T> =>
  typeof (value as { then?: unknown } | null | undefined)?.then === 'function';

class HookTimeout extends Error {
  override readonly name = 'HookTimeout';
}

/**
 * Runs the plugins of one stage in config order until the first terminal verdict (STYLE §7). A hook that throws, times
 * out or returns an invalid result is logged at error with the plugin's name and yields its `onError` verdict
 * (451 4.3.0 by default): a plugin bug never crashes a session and never turns into a 5xx unless configured so.
 */
export const createPolicyPipeline = (plugins: readonly LoadedPlugin[], deps: PipelineDeps) => {
  // Asked twice per stage per command (hooks, then run): worked out once per stage and listener.
  const chains = new Map<string, readonly LoadedPlugin[]>();
  const pluginsFor = (stage: PolicyStage, listener: string | null): readonly LoadedPlugin[] => {
    const key = `${stage}\n${listener ?? ''}`;
    let chain = chains.get(key);
    if (!chain) {
      chain = plugins.filter((p) => p.hooks[stage] && (listener === null || p.listeners === null || p.listeners.has(listener)));
      chains.set(key, chain);
    }
    return chain;
  };

  // prom-client hashes a label set on every call: each plugin, stage and verdict gets its child once
  const children = new Map<string, { inc: () => void } | { observe: (value: number) => void }>();
  const verdicts = (plugin: string, stage: PolicyStage, verdict: string) => {
    const key = `v\n${plugin}\n${stage}\n${verdict}`;
    let child = children.get(key) as { inc: () => void } | undefined;
    if (!child) children.set(key, child = deps.metrics.policyVerdicts.labels({ plugin, stage, verdict }));
    return child;
  };
  const duration = (plugin: string, stage: PolicyStage) => {
    const key = `d\n${plugin}\n${stage}`;
    let child = children.get(key) as { observe: (value: number) => void } | undefined;
    if (!child) children.set(key, child = deps.metrics.policyHookDuration.labels({ plugin, stage }));
    return child;
  };

  /**
   * One hook call. Its context's signal is made when the hook first reads it (built-in hooks never do); it aborts when
   * the session ends or the hook times out. A hook that answers synchronously needs no timer: nothing could have
   * interrupted it anyway.
   */
  const runHook = async <S extends PolicyStage>(plugin: LoadedPlugin, stage: S, input: StageInput<S>, annotations: Record<string, string>): Promise<HookResult> => {
    const hook = plugin.hooks[stage] as ((ctx: HookContext<S>) => HookResult | undefined | Promise<HookResult | undefined>);
    let controller: AbortController | undefined;
    let timedOut: HookTimeout | undefined;
    const onAbort = () => controller?.abort(input.signal?.reason);
    const signal = (): AbortSignal => {
      if (controller === undefined) {
        controller = new AbortController();
        if (timedOut) controller.abort(timedOut);
        else if (input.signal?.aborted) controller.abort(input.signal.reason);
        else input.signal?.addEventListener('abort', onAbort, { once: true });
      }
      return controller.signal;
    };
    const bindings = () => ({ plugin: plugin.name, stage, sessionId: input.session?.id ?? null });
    let timer: NodeJS.Timeout | undefined;
    const started = performance.now();
    try {
      const ctx: HookContext<S> = {
        stage, session: input.session, transaction: input.transaction, args: input.args,
        annotations: { ...annotations }, log: lazyChild(deps.log, bindings), get signal() { return signal(); }, now: deps.now(),
      };
      const answer = hook(ctx);
      const result = checkResult(isThenable(answer) ? await Promise.race([answer, new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          timedOut = new HookTimeout(`${plugin.name} ${stage} hook timed out after ${plugin.timeoutMs} ms`);
          controller?.abort(timedOut);
          reject(timedOut);
        }, plugin.timeoutMs);
      })]) : answer);
      verdicts(plugin.name, stage, result.kind).inc();
      return result;
    } catch (err) {
      verdicts(plugin.name, stage, 'error').inc();
      const what = err instanceof HookTimeout ? 'timed out' : `failed: ${(err as Error)?.message ?? String(err)}`;
      deps.log.error({ ...bindings(), err, onError: plugin.onError }, `policy plugin ${plugin.name} ${what}`);
      return failureResult(plugin.onError, `plugin ${plugin.name} ${what}`);
    } finally {
      clearTimeout(timer);
      if (controller !== undefined) input.signal?.removeEventListener('abort', onAbort);
      duration(plugin.name, stage).observe((performance.now() - started) / 1000);
    }
  };

  return {
    /** Whether any plugin hooks this stage on this listener: callers skip building stage arguments otherwise. */
    hooks: (stage: PolicyStage, listener: string | null): boolean => pluginsFor(stage, listener).length > 0,

    run: async <S extends PolicyStage>(stage: S, input: StageInput<S>): Promise<StageOutcome> => {
      const results: { plugin: string; result: HookResult }[] = [];
      const annotations: Record<string, string> = { ...input.annotations };
      for (const plugin of pluginsFor(stage, input.listener)) {
        const result = await runHook(plugin, stage, input, annotations);
        results.push({ plugin: plugin.name, result });
        if (result.kind === 'continue' || result.kind === 'tag') Object.assign(annotations, result.annotations);
        else break;
      }
      return combineResults(stage, results);
    },

    close: async (): Promise<void> => {
      for (const plugin of plugins) {
        try {
          await plugin.hooks.close?.();
        } catch (err) {
          deps.log.error({ err, plugin: plugin.name }, `policy plugin ${plugin.name} failed to close`);
        }
      }
    },
  };
};

export type PolicyPipeline = ReturnType<typeof createPolicyPipeline>;
