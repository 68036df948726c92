import { formatEta, Pace } from '../../../src/health/pace.js';

describe('Pace', () => {
  it('estimates time left from how fast PercentageComplete moves and polls at a quarter of it', () => {
    const pace = new Pace(5_000, 60_000);
    pace.record(0, 0);
    pace.record(60_000, 20);
    // 20% a minute: 80% left takes four minutes.
    expect(pace.etaMs()).toBe(240_000);
    expect(pace.nextDelayMs()).toBe(60_000);
    pace.record(120_000, 90);
    expect(pace.etaMs()).toBeCloseTo((10 / 90) * 120_000);
    // A quarter of 13.3 s is below the 5 s minimum.
    expect(pace.nextDelayMs()).toBe(5_000);
  });

  it('backs off by half per unchanged poll while the pace is unknown, within bounds', () => {
    const pace = new Pace(2_000, 10_000);
    pace.record(0, 0);
    expect(pace.etaMs()).toBeUndefined();
    expect(pace.nextDelayMs()).toBe(2_000);
    pace.record(2_000, 0);
    expect(pace.nextDelayMs()).toBe(3_000);
    pace.record(5_000, 0);
    pace.record(9_500, 0);
    pace.record(16_250, 0);
    expect(pace.nextDelayMs()).toBe(10_000);
  });

  it('never polls faster than the minimum even when almost done', () => {
    const pace = new Pace(5_000, 60_000);
    pace.record(0, 0);
    pace.record(10_000, 99);
    expect(pace.nextDelayMs()).toBe(5_000);
  });

  it('starts a new estimate when the percentage goes down (rollback)', () => {
    const pace = new Pace(1_000, 60_000);
    pace.record(0, 10);
    pace.record(10_000, 60);
    pace.record(20_000, 40);
    expect(pace.etaMs()).toBeUndefined();
  });

  it('formats estimates for progress lines', () => {
    expect(formatEta(undefined)).toBe('unknown');
    expect(formatEta(35_400)).toBe('35s');
    expect(formatEta(250_000)).toBe('4m10s');
    expect(formatEta(2 * 3600_000 + 5 * 60_000)).toBe('2h05m');
  });
});
