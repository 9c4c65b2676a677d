import { EventStoreUnavailable } from '@elemta/domain';

/**
 * Our own deadline around a client call. The client's gRPC deadlines do not fire when a port accepts TCP and never
 * answers (STACK-NOTES), so without this an append could hang an SMTP session forever. On timeout, `onTimeout`
 * cancels what can be cancelled; the abandoned call's own later failure is swallowed.
 */
export const withTimeout = async <T>(what: string, ms: number, work: Promise<T>, onTimeout?: () => void): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  work.catch(() => {});
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      try { onTimeout?.(); } catch { /* best effort */ }
      reject(new EventStoreUnavailable(`EventStoreDB did not answer ${what} within ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
};
