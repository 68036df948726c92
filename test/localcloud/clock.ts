/**
 * localcloud time: real time plus an offset the control API can advance, and one ticker that
 * drives every state machine so "pending → running" happens while clients poll.
 */
export class Clock {
  private offsetMs = 0;
  private frozenAt: number | undefined;

  now(): number {
    return (this.frozenAt ?? Date.now()) + this.offsetMs;
  }

  /**
   * Stops real time at `at`: from then on only advance() moves the clock. Unit tests that drive
   * localcloud's time themselves (stop the ticker, advance and tick) freeze it so runs are exact.
   */
  freeze(at: number): void {
    this.frozenAt = at;
    this.offsetMs = 0;
  }

  /** Jump forward (the demo skips long waits this way); state machines catch up on the next tick. */
  advance(ms: number): void {
    if (ms > 0) this.offsetMs += ms;
  }
}

export type TickHandler = (now: number) => void;

export class Ticker {
  private readonly handlers = new Set<TickHandler>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly tickMs = 50,
  ) {}

  /** Registers a handler; returns its unregister function. */
  add(handler: TickHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.tickMs);
    // The server keeps the process alive, not the ticker.
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Runs every handler once; a throwing handler must not stop the others. */
  tick(): void {
    const now = this.clock.now();
    for (const handler of this.handlers) {
      try {
        handler(now);
      } catch (err) {
        console.error('localcloud: tick handler failed:', err);
      }
    }
  }
}
