// A value now or later. The broker's state changes are synchronous on one
// machine (a file write) and asynchronous in a shared room (a write to NATS
// first: server/nats/), so the code between them takes either, and the
// single-machine path stays synchronous: no promise, no extra turn.

export type MaybePromise<T> = T | Promise<T>;

/** `next(value)`, at once when `value` is not a promise, else once it resolves. */
export function andThen<T, U>(value: MaybePromise<T>, next: (value: T) => MaybePromise<U>): MaybePromise<U> {
  return value instanceof Promise ? value.then(next) : next(value);
}
