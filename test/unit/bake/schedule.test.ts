import { bake } from '../../../src/bake/bake.js';
import { Pace, scheduleFor } from '../../../src/bake/schedule.js';
import { fakeClock } from '../../support/fake-clock.js';
import { context, FakeCloud } from './fake-cloud.js';
import { bakeOptions, workspace } from './options.js';

const linux = { platform: 'linux' as const, instanceType: 't3.medium' };

describe('schedule: each phase polled at its expected end', () => {
  it('at the default poll interval the priors are AWS seconds', () => {
    expect(scheduleFor(10, linux)).toEqual({
      intervalMs: 10_000,
      shortMs: 1_000,
      buildMs: 18_000,
      expect: { boot: 30_000, agent: 15_000, stop: 20_000, image: 180_000, copy: 240_000 },
    });
  });

  it('a simulator N× faster sets the interval N× lower and every prior shrinks alike', () => {
    const s = scheduleFor(0.5, linux);
    expect(s.expect).toEqual({ boot: 1_500, agent: 750, stop: 1_000, image: 9_000, copy: 12_000 });
    expect(s).toMatchObject({ intervalMs: 500, shortMs: 50, buildMs: 900 });
  });

  it('a longer interval on AWS never postpones a first poll past the AWS prior', () => {
    const s = scheduleFor(30, linux);
    expect(s.expect.image).toBe(180_000);
    expect(s.buildMs).toBe(30_000);
  });

  it('Windows stops more slowly; bare-metal types boot in minutes', () => {
    const windows = scheduleFor(10, { platform: 'windows', instanceType: 'm5.large' });
    expect(windows.expect.stop).toBe(60_000);
    // Its build is still polled every 20 s, so a failure on the console is seen soon.
    expect(windows.buildMs).toBe(20_000);
    expect(scheduleFor(10, { platform: 'linux', instanceType: 'm5.metal' }).expect.boot).toBe(600_000);
  });

  it('Pace: no poll before the expected end, then short delays growing ×1.5 to the interval', () => {
    const clock = fakeClock(0);
    const pace = new Pace(scheduleFor(10, linux), clock, 180_000);
    expect(pace.first()).toBe(180_000);
    clock.advance(180_000);
    const delays = Array.from({ length: 8 }, () => pace.next());
    expect(delays).toEqual([1_000, 1_500, 2_250, 3_375, 5_063, 7_594, 10_000, 10_000]);
    // A new expected end (a stop seen starting) moves the next poll there and starts over.
    pace.expect(clock.now() + 20_000);
    expect(pace.next()).toBe(20_000);
    clock.advance(20_000);
    expect(pace.next()).toBe(1_000);
  });
});

describe('bake: polls placed by the expected durations', () => {
  let cloud: FakeCloud;
  afterEach(() => cloud.restore());

  it('first polls the builder when its boot should be over and the image when it should be available', async () => {
    cloud = new FakeCloud();
    const source = cloud.addImage({ name: 'al2023-ami-2023.1-x86_64' });
    const ctx = context(cloud);
    const o = bakeOptions(
      {
        name: 'web',
        'source-ami': source.id,
        'user-data': '#!/bin/bash\nshutdown -h now\n',
        'poll-interval-seconds': '10',
      },
      { workingDirectory: workspace() },
    );
    await bake(ctx, o);
    const sleeps = ctx.clock.sleeps;
    // The boot; the build polled often enough to see the stop (fake: two polls running, one
    // stopping), whose end is expected 20 s after the last poll that saw it running; the console
    // read at once; the image at its expected end, then 1 s later (fake: one poll pending).
    expect(sleeps).toEqual([30_000, 18_000, 18_000, 18_000, 2_000, 180_000, 1_000]);
  });
});
