/**
 * Group commit for directory fsyncs. `sync(dir)` resolves after an fsync of `dir` that started after the
 * call, so every rename done before the call is durable. While one fsync of a directory runs, later callers
 * share the single next one instead of queueing one each.
 */
export class GroupedSync {
  private readonly states = new Map<string, { running: Promise<void> | null; queued: Promise<void> | null }>();

  constructor(private readonly fsync: (dir: string) => Promise<void>) {}

  sync(dir: string): Promise<void> {
    let state = this.states.get(dir);
    if (!state) {
      state = { running: null, queued: null };
      this.states.set(dir, state);
    }
    // A queued fsync has not started yet, so it also covers this caller's renames.
    if (state.queued) return state.queued;
    const running = state.running;
    if (!running) return this.start(dir, state);
    const s = state;
    const queued = running.then(noop, noop).then(() => {
      s.queued = null;
      return this.start(dir, s);
    });
    s.queued = queued;
    return queued;
  }

  private start(dir: string, state: { running: Promise<void> | null; queued: Promise<void> | null }): Promise<void> {
    const running: Promise<void> = this.fsync(dir).finally(() => {
      if (state.running === running) state.running = null;
      if (!state.running && !state.queued) this.states.delete(dir);
    });
    state.running = running;
    return running;
  }
}

const noop = () => {};
