import { messageView as listenerMessageView } from '../../smtp/message-view.js';
import type { HookContext, MessageView, PolicyStage, SessionView, StageArgs, TransactionView } from '../plugin-api.js';

/** A session as a hook sees it, for calling hooks directly in tests. */
export const testSession = (overrides: Partial<SessionView> = {}): SessionView => ({
  id: 'session-test', listener: 'mx', role: 'mx',
  client: { address: '192.0.2.10', port: 40000, reverseDns: null, helo: 'client.example.net' },
  localAddress: '127.0.0.1', localPort: 2525, tls: null, authUser: null, trustedNetwork: false, messageCount: 0,
  ...overrides,
});

const silent = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** The context the pipeline gives a hook, with a session, transaction and annotations a test chooses. */
export const hookContext = <S extends PolicyStage>(
  stage: S, args: StageArgs[S],
  options: { session?: Partial<SessionView> | null; transaction?: TransactionView | null; annotations?: Record<string, string>; now?: Date; signal?: AbortSignal } = {},
): HookContext<S> => ({
  stage, args,
  session: options.session === null ? null : testSession(options.session ?? {}),
  transaction: options.transaction ?? null,
  annotations: options.annotations ?? {},
  log: silent,
  signal: options.signal ?? new AbortController().signal,
  now: options.now ?? new Date(),
});

/** A message view over raw bytes, as the listener builds it. */
export const messageView = (raw: string | Uint8Array): MessageView => listenerMessageView(typeof raw === 'string' ? Buffer.from(raw) : raw);
