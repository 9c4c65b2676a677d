import type { Logger } from '@elemta/infra/logger';
import type { Metrics } from '@elemta/infra/metrics';
import type { QueueReadModel } from '@elemta/projections';

/**
 * Keeps the queue gauges (size by status and zone, oldest message age) fresh from the `queue` view every
 * `intervalMs`; returns the function that stops it.
 */
export const watchQueueGauges = (queue: QueueReadModel, metrics: Metrics, log: Logger, intervalMs = 5000): (() => Promise<void>) => {
  let busy = false;
  const refresh = async () => {
    if (busy) return;
    busy = true;
    try {
      const summary = await queue.summary();
      metrics.queueSize.reset();
      for (const { status, zone, count } of summary.byStatusAndZone) metrics.queueSize.set({ status, zone }, count);
      metrics.queueOldestAge.set(summary.oldestAcceptedAt ? Math.max(0, (Date.now() - Date.parse(summary.oldestAcceptedAt)) / 1000) : 0);
    } catch (err) {
      log.debug({ err }, 'could not refresh the queue gauges');
    } finally {
      busy = false;
    }
  };
  void refresh();
  const timer = setInterval(() => void refresh(), intervalMs).unref();
  return async () => clearInterval(timer);
};
