// Bounded parallelism, the one implementation: work over a list with at most `limit` items in
// flight at once, in all, or in each lane (a region: regions have API rate limits of their own).

export type Settled<R> =
  { ok: true; value: R } | { ok: false; error: unknown } | { ok: false; skipped: true };

export interface BoundedOptions {
  limit: number;
  /**
   * Once an item fails (or the signal aborts), start no further items; the ones already running
   * finish, so their outcome is known. Items never started settle as `skipped`.
   */
  stopOnError?: boolean;
  signal?: AbortSignal;
  /** At most `limit` in flight per lane (for example per region) instead of in all; a stop stops every lane. */
  lane?: (index: number) => string;
}

/** The items' indices by lane, in input order (one lane without `lane`). */
function lanesOf(count: number, lane: BoundedOptions['lane']): number[][] {
  const lanes = new Map<string, number[]>();
  for (let i = 0; i < count; i++) {
    const key = lane?.(i) ?? '';
    const queue = lanes.get(key) ?? [];
    queue.push(i);
    lanes.set(key, queue);
  }
  return [...lanes.values()];
}

/** Results in input order; never rejects, every item settles. */
export async function mapBounded<T, R>(
  items: readonly T[],
  options: BoundedOptions,
  fn: (item: T, index: number) => Promise<R>,
): Promise<Settled<R>[]> {
  const results: Settled<R>[] = items.map(() => ({ ok: false, skipped: true }));
  let stopped = false;
  const worker = async (queue: number[]) => {
    for (let index = queue.shift(); index !== undefined; index = queue.shift()) {
      if (stopped || options.signal?.aborted) return;
      try {
        results[index] = { ok: true, value: await fn(items[index]!, index) };
      } catch (error) {
        results[index] = { ok: false, error };
        if (options.stopOnError) stopped = true;
      }
    }
  };
  const lanes = lanesOf(items.length, options.lane);
  await Promise.all(
    lanes.flatMap((queue) =>
      Array.from({ length: Math.max(1, Math.min(options.limit, queue.length)) }, () => worker(queue)),
    ),
  );
  return results;
}

export const isSkipped = <R>(s: Settled<R>): s is { ok: false; skipped: true } => !s.ok && 'skipped' in s;

/**
 * mapBounded for work whose failures alone matter: after a failure no new item starts (those in
 * flight finish). Returns the failures in the order they happened.
 */
export async function bounded<T>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<unknown[]> {
  const failures: unknown[] = [];
  await mapBounded(items, { limit, stopOnError: true }, (item, index) =>
    work(item, index).catch((err: unknown) => {
      failures.push(err);
      throw err;
    }),
  );
  return failures;
}
