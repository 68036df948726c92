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
