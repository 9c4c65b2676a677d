import type { RecordedEvent } from '@elemta/domain';
import { expect } from 'vitest';

/** given(events).when(event).then(row) for a pure view fold `(row | null, event) => row | null`. */
export const foldSpec = <Row>(evolve: (row: Row | null, event: RecordedEvent) => Row | null) =>
  (given: readonly RecordedEvent[]) => {
    const state = given.reduce<Row | null>(evolve, null);
    return {
      when: (event: RecordedEvent) => {
        const next = evolve(state, event);
        return {
          then: (check: (row: Row | null) => void) => check(next),
          thenUnchanged: () => expect(next).toEqual(state),
        };
      },
      thenRow: (check: (row: Row | null) => void) => check(state),
    };
  };
