// Bounded parallelism: work over a list with a cap on how many calls are in flight at once.

/**
 * Runs `work` over items with at most `limit` in flight; after a failure no new item starts
 * (those in flight finish). Returns the failures in the order they happened.
 */
export async function bounded<T>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<unknown[]> {
  const failures: unknown[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length && failures.length === 0) {
      const index = next++;
      try {
        await work(items[index] as T, index);
      } catch (err) {
        failures.push(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return failures;
}
