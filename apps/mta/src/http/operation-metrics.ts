import type { Metrics } from '@elemta/infra/metrics';

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * Records GraphQL operations in the operation histogram. Operation names come from clients, so the label's values
 * are capped: the first `maxNames` well-formed names are kept, later ones count as `other`.
 */
export const operationRecorder = (metrics: Metrics, maxNames = 200) => {
  const names = new Set<string>();
  return ({ operation, type, seconds, ok }: { operation: string; type: string; seconds: number; ok: boolean }) => {
    let name = NAME.test(operation) ? operation : 'other';
    if (name !== 'other' && !names.has(name)) {
      if (names.size >= maxNames) name = 'other';
      else names.add(name);
    }
    metrics.graphqlOperations.observe({ operation: name, type, outcome: ok ? 'ok' : 'error' }, seconds);
  };
};
