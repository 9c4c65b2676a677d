import type { Logger } from '@elemta/infra/logger';
import type { Metrics } from '@elemta/infra/metrics';
import type { QueueReadModel } from '@elemta/projections';

/**
 * Fills the queue gauges (recipients by status and zone, oldest message age) from the `queue` view on each scrape
 * of `/metrics`, so they are never older than the scrape. A failed read leaves the last values and is logged.
 */
export const collectQueueGauges = (queue: QueueReadModel, metrics: Metrics, log: Logger): void => {
  metrics.collectQueue(async () => {
    try {
      const summary = await queue.summary();
      metrics.queueSize.reset();
      for (const { status, zone, count } of summary.byStatusAndZone) metrics.queueSize.set({ status, zone }, count);
      metrics.queueOldestAge.set(summary.oldestAcceptedAt ? Math.max(0, (Date.now() - Date.parse(summary.oldestAcceptedAt)) / 1000) : 0);
    } catch (err) {
      log.warn({ err }, 'could not read the queue for its gauges');
    }
  });
};
