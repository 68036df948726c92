import { AbortedError, TimeoutError } from '../../../src/core/errors.js';
import { poll } from '../../../src/core/poll.js';
import { fakeClock } from '../../support/fake-clock.js';

describe('poll', () => {
  it('backs off exponentially while nothing changes and resets when progress moves', async () => {
    const clock = fakeClock();
    const progress = ['10%', '10%', '10%', '50%', '50%'];
    const seen: string[] = [];
    const value = await poll({
      phase: 'waiting for refresh',
      clock,
      deadline: 1e9,
      minDelayMs: 1000,
      maxDelayMs: 5000,
      factor: 2,
      jitter: 0,
      onProgress: (p) => seen.push(p),
      check: async (attempt) =>
        attempt > progress.length
          ? { done: true, value: 'ok' }
          : { done: false, progress: progress[attempt - 1] },
    });
    expect(value).toBe('ok');
    expect(clock.sleeps).toEqual([1000, 2000, 4000, 1000, 2000]);
    expect(seen).toEqual(progress);
  });

  it('fails with a TimeoutError naming the phase and the last progress seen', async () => {
    const clock = fakeClock();
    const run = poll({
      phase: 'waiting for the builder to stop',
      clock,
      deadline: 10_000,
      minDelayMs: 3000,
      jitter: 0,
      check: async () => ({ done: false, progress: 'running' }),
    });
    await expect(run).rejects.toThrow(
      new TimeoutError('x', 'timed out while waiting for the builder to stop (last seen: running)'),
    );
    expect(clock.now()).toBe(10_000);
  });

  it('rides out transient errors and stops on others', async () => {
    const clock = fakeClock();
    const throttle = Object.assign(new Error('Rate exceeded'), { name: 'Throttling' });
    let calls = 0;
    const transient: unknown[] = [];
    const value = await poll({
      phase: 'p',
      clock,
      deadline: 1e9,
      jitter: 0,
      isTransient: (e) => e === throttle,
      onTransient: (e) => transient.push(e),
      check: async () => {
        calls++;
        if (calls < 3) throw throttle;
        return { done: true, value: calls };
      },
    });
    expect(value).toBe(3);
    expect(transient).toHaveLength(2);
    await expect(
      poll({
        phase: 'p',
        clock,
        deadline: 1e9,
        check: async () => Promise.reject(new Error('AccessDenied')),
      }),
    ).rejects.toThrow('AccessDenied');
  });

  it('stops at once when aborted', async () => {
    const controller = new AbortController();
    const clock = fakeClock();
    let calls = 0;
    const run = poll({
      phase: 'waiting for image',
      clock,
      signal: controller.signal,
      deadline: 1e9,
      check: async () => {
        if (++calls === 2) controller.abort();
        return { done: false };
      },
    });
    await expect(run).rejects.toThrow(new AbortedError('cancelled while waiting for image'));
    expect(calls).toBe(2);
  });

  it('spreads delays with jitter inside the configured band', async () => {
    const clock = fakeClock();
    const randoms = [0, 1, 0.5];
    let i = 0;
    await poll({
      phase: 'p',
      clock,
      deadline: 1e9,
      minDelayMs: 1000,
      factor: 1,
      jitter: 0.2,
      random: () => randoms[i++]!,
      check: async (a) => (a > 3 ? { done: true, value: 1 } : { done: false }),
    });
    expect(clock.sleeps).toEqual([800, 1200, 1000]);
  });
});
