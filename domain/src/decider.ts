import type { AnyDomainEvent } from './events/common.js';

/** A pure state machine: `decide` turns a command into events, `evolve` folds events into state. */
export type Decider<Command, Event extends AnyDomainEvent, State> = Readonly<{
  initialState: State;
  decide: (command: Command, state: State) => Event[];
  evolve: (state: State, event: Event) => State;
}>;

export const fold = <Event extends AnyDomainEvent, State>(
  decider: Pick<Decider<unknown, Event, State>, 'initialState' | 'evolve'>,
  events: readonly Event[],
): State => events.reduce(decider.evolve, decider.initialState);
