// The refresh's pace: how fast PercentageComplete moves, its ETA, and when to poll it next.
// Polling faster than the refresh moves only spends budget.

interface Sample {
  at: number;
  percent: number;
}

/** Samples older than this many polls do not describe the current pace (batches, checkpoints). */
const WINDOW = 8;

export class Pace {
  private samples: Sample[] = [];
  private unchanged = 0;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
  ) {}

  record(at: number, percent: number): void {
    const last = this.samples[this.samples.length - 1];
    this.unchanged = last && last.percent === percent ? this.unchanged + 1 : 0;
    // A rollback counts PercentageComplete down: a new direction starts a new estimate.
    if (last && percent < last.percent) this.samples = [];
    this.samples.push({ at, percent });
    if (this.samples.length > WINDOW) this.samples.shift();
  }

  /** Percent per millisecond over the window, or undefined before any movement. */
  private rate(): number | undefined {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last.at <= first.at || last.percent <= first.percent) return undefined;
    return (last.percent - first.percent) / (last.at - first.at);
  }

  /** Milliseconds left at the current pace, or undefined when the pace is unknown. */
  etaMs(): number | undefined {
    const last = this.samples[this.samples.length - 1];
    const rate = this.rate();
    if (!last || rate === undefined) return undefined;
    return Math.max(0, (100 - last.percent) / rate);
  }

  /**
   * A quarter of the estimated time left (at least four looks before the end), within bounds;
   * without an estimate, back off by half for every poll that saw no change.
   */
  nextDelayMs(): number {
    const eta = this.etaMs();
    const raw = eta !== undefined ? eta / 4 : this.minMs * Math.pow(1.5, this.unchanged);
    return Math.round(Math.min(this.maxMs, Math.max(this.minMs, raw)));
  }

  reset(): void {
    this.samples = [];
    this.unchanged = 0;
  }
}

/** "4m10s", "35s", or "unknown": for progress lines. */
export function formatEta(ms: number | undefined): string {
  if (ms === undefined) return 'unknown';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
