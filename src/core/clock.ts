/**
 * @module core/clock — the injected time source, the one both halves use. [pure, shared primitive]
 *
 * Every time-dependent function takes a `Clock` (or a `now` value) instead of reading `Date.now()`,
 * so tests pin time without monkey-patching. The gateway, the session core and the CLI take this
 * same interface (the session core may import it: see docs/architecture.md, shared primitives).
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  nowMs(): number;
}

export const systemClock: Clock = { nowMs: () => Date.now() };

/** A clock tests move by hand. */
export function createManualClock(startMs: number): Clock & { advance(ms: number): void; set(ms: number): void } {
  let t = startMs;
  return {
    nowMs: () => t,
    advance(ms: number) {
      t += ms;
    },
    set(ms: number) {
      t = ms;
    },
  };
}
