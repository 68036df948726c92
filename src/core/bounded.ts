// Bounded parallelism, the one implementation: work over a list with at most `limit` items in
// flight at once (across every region, for the callers that span several).

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
}

/** Results in input order; never rejects, every item settles. */
export async function mapBounded<T, R>(
  items: readonly T[],
  options: BoundedOptions,
  fn: (item: T, index: number) => Promise<R>,
): Promise<Settled<R>[]> {
  const results: Settled<R>[] = items.map(() => ({ ok: false, skipped: true }));
  let next = 0;
  let stopped = false;
  const worker = async () => {
    while (next < items.length) {
      if (stopped || options.signal?.aborted) return;
      const index = next++;
      try {
        results[index] = { ok: true, value: await fn(items[index]!, index) };
      } catch (error) {
        results[index] = { ok: false, error };
        if (options.stopOnError) stopped = true;
      }
    }
  };
  const workers = Math.max(1, Math.min(options.limit, items.length));
  await Promise.all(Array.from({ length: workers }, worker));
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
