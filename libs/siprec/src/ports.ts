/**
 * The outside world this library needs, injected: a clock and randomness.
 * Nothing here reads a socket, a file or the system clock by itself.
 */

/** Milliseconds since the epoch (or any monotonic origin: only differences are used, except for `associate-time`). */
export interface Clock {
  now(): number;
}

/** `length` random bytes (e.g. `(n) => crypto.randomBytes(n)` in the app; a seeded generator in tests). */
export type RandomBytes = (length: number) => Uint8Array;
