import type { Decider } from '../decider.js';
import type { AnyDomainEvent } from '../events/common.js';

type Assert = { equal: (actual: unknown, expected: unknown) => void; throws: (fn: () => unknown, expected: unknown) => void };

/**
 * given(events).when(command).then(events) for deciders, test-framework neutral:
 * pass the framework's deep-equal and throws assertions once.
 */
export const deciderSpec = <C, E extends AnyDomainEvent, S>(decider: Decider<C, E, S>, assert: Assert) =>
  (given: readonly E[]) => ({
    when: (command: C) => {
      const run = () => decider.decide(command, given.reduce<S>(decider.evolve, decider.initialState));
      return {
        then: (expected: readonly E[]) => assert.equal(run(), expected),
        thenNothingHappened: () => assert.equal(run(), []),
        thenThrows: (expected: unknown) => assert.throws(run, expected),
      };
    },
    thenState: (expected: S) => assert.equal(given.reduce<S>(decider.evolve, decider.initialState), expected),
  });
