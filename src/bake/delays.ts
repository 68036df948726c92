/**
 * Poll delays derived from poll-interval-seconds: start there, back off to at most 1.5 times it
 * (and 120 s). A wider backoff overshoots each phase's end: bench measured the image noticed ~50 s
 * late at 6x.
 */
export interface Delays {
  minMs: number;
  maxMs: number;
}

export function delaysFrom(pollIntervalSeconds: number): Delays {
  const minMs = Math.round(pollIntervalSeconds * 1000);
  return { minMs, maxMs: Math.max(minMs, Math.min(120_000, Math.round(minMs * 1.5))) };
}

/** The same delays as SDK waiter settings (seconds), bounded by what is left of the bake. */
export function waiterTiming(
  d: Delays,
  remainingMs: number,
): { minDelay: number; maxDelay: number; maxWaitTime: number } {
  const minDelay = d.minMs / 1000;
  // The waiter insists maxWaitTime > minDelay; a shorter remainder still gets one poll.
  const maxWaitTime = Math.max(remainingMs / 1000, minDelay + 0.001);
  return { minDelay, maxDelay: d.maxMs / 1000, maxWaitTime };
}

/**
 * A view of an SDK client that reports every response, so a waiter (which has no progress
 * callback) still logs one line per poll. Everything but `send` is the client itself.
 */
export function observed<C extends { send(...args: never[]): Promise<unknown> }>(
  client: C,
  onResponse: (output: unknown) => void,
): C {
  const view = Object.create(client) as C;
  const send = client.send.bind(client) as (...args: unknown[]) => Promise<unknown>;
  (view as { send: unknown }).send = async (...args: unknown[]) => {
    const out = await send(...args);
    onResponse(out);
    return out;
  };
  return view;
}
