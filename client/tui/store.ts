// The state's single home: dispatch runs the reducer and tells subscribers
// (React, through useSyncExternalStore) when something changed.
import { reduce, type Action, type State } from './state.ts';

export class Store {
  #state: State;
  readonly #listeners = new Set<() => void>();

  constructor(initial: State) {
    this.#state = initial;
  }

  readonly getState = (): State => this.#state;

  readonly dispatch = (action: Action): void => {
    const next = reduce(this.#state, action);
    if (next === this.#state) return;
    this.#state = next;
    for (const listener of this.#listeners) listener();
  };

  readonly subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };
}
