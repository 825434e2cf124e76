/**
 * @module core/clock — the injected time source. [pure]
 *
 * Every time-dependent function takes a `Clock` (or a `now` value) instead of reading `Date.now()`,
 * so tests pin time without monkey-patching.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock tests move by hand. */
export function createManualClock(startMs: number): Clock & { advance(ms: number): void; set(ms: number): void } {
  let t = startMs;
  return {
    now: () => t,
    advance(ms: number) {
      t += ms;
    },
    set(ms: number) {
      t = ms;
    },
  };
}
