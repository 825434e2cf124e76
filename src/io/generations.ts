/**
 * @module io/generations — the live config "generation" and the retirement of old ones. [io]
 *
 * Usage:
 *   const gens = createGenerations(first, (old) => old.close());
 *   const lease = gens.acquire();      // per request: pins the generation it started on
 *   ...                                // the request runs entirely on lease.value
 *   lease.release();                   // after its last byte and access-log line
 *   gens.swap(next);                   // reload: new requests get `next`; the old one is disposed
 *                                      // once its last lease is released
 *   await gens.close();                // shutdown: disposes the current and waits for the retired
 *
 * A reload therefore never closes the listener and never pulls authorizers, Lambda pools or
 * access-log files from under a request that is still using them.
 */
export interface Lease<T> {
  readonly value: T;
  release(): void;
}

export interface Generations<T> {
  current(): T;
  /** Generation number of `current()`, starting at 1. */
  readonly number: number;
  acquire(): Lease<T>;
  swap(next: T): void;
  /** Generations replaced but still serving in-flight requests. */
  readonly retiring: number;
  close(): Promise<void>;
}

interface Gen<T> {
  value: T;
  leases: number;
  retired: boolean;
  disposed: Promise<void> | null;
}

/** A class, not a closure per request: one small object on the hot path. */
class GenerationLease<T> implements Lease<T> {
  #released = false;
  constructor(
    private readonly gen: Gen<T>,
    private readonly disposeGen: (g: Gen<T>) => Promise<void>,
  ) {}
  get value(): T {
    return this.gen.value;
  }
  release(): void {
    if (this.#released) return;
    this.#released = true;
    const g = this.gen;
    g.leases--;
    if (g.retired && g.leases === 0) void this.disposeGen(g);
  }
}

export function createGenerations<T>(first: T, dispose: (value: T) => Promise<void>): Generations<T> {
  let cur: Gen<T> = { value: first, leases: 0, retired: false, disposed: null };
  let number = 1;
  const retiring = new Set<Gen<T>>();
  const disposeGen = (g: Gen<T>): Promise<void> => {
    g.disposed ??= dispose(g.value).catch(() => undefined).finally(() => retiring.delete(g));
    return g.disposed;
  };
  return {
    current: () => cur.value,
    get number() {
      return number;
    },
    get retiring() {
      return retiring.size;
    },
    acquire() {
      cur.leases++;
      return new GenerationLease(cur, disposeGen);
    },
    swap(next) {
      const old = cur;
      cur = { value: next, leases: 0, retired: false, disposed: null };
      number++;
      old.retired = true;
      retiring.add(old);
      if (old.leases === 0) void disposeGen(old);
    },
    async close() {
      // Callers close the listener (draining in-flight requests) first; whatever is left goes now.
      cur.retired = true;
      await Promise.all([...retiring, cur].map(disposeGen));
    },
  };
}
