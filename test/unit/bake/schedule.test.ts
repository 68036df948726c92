import { bake } from '../../../src/bake/bake.js';
import { Pace, scheduleFor } from '../../../src/bake/schedule.js';
import { fakeClock } from '../../support/fake-clock.js';
import { EC2Client, type Instance } from '@aws-sdk/client-ec2';
import type { AwsClients } from '../../../src/aws/clients.js';
import { clientConfig } from '../../localcloud/test-support.js';
import { AL2023, REGION, startCloud, type UnitCloud } from './cloud.js';
import { bakeOptions, workspace } from './options.js';

const linux = { platform: 'linux' as const, instanceType: 't3.medium', timeScale: 1 };

describe('schedule: each phase polled at its expected end', () => {
  it('at the default poll interval the priors are AWS seconds', () => {
    expect(scheduleFor(10_000, linux)).toEqual({
      intervalMs: 10_000,
      shortMs: 1_000,
      buildMs: 18_000,
      expect: {
        boot: 30_000,
        agent: 15_000,
        stop: 20_000,
        image: 180_000,
        imageProbe: 15_000,
        copy: 240_000,
      },
    });
  });

  it('a simulator N× faster says so with its time scale and every prior shrinks alike', () => {
    const s = scheduleFor(500, { ...linux, timeScale: 0.05 });
    expect(s.expect).toEqual({
      boot: 1_500,
      agent: 750,
      stop: 1_000,
      image: 9_000,
      imageProbe: 750,
      copy: 12_000,
    });
    expect(s).toMatchObject({ intervalMs: 500, shortMs: 50, buildMs: 900 });
  });

  it('a user lowering poll-interval polls more often but expects every phase as long as AWS takes', () => {
    const s = scheduleFor(500, linux);
    expect(s.expect).toEqual(scheduleFor(10_000, linux).expect);
    expect(s).toMatchObject({ intervalMs: 500, shortMs: 50, buildMs: 1_000 });
  });

  it('a longer interval on AWS never postpones a first poll past the AWS prior', () => {
    const s = scheduleFor(30_000, linux);
    expect(s.expect.image).toBe(180_000);
    expect(s.buildMs).toBe(30_000);
  });

  it('Windows stops more slowly; bare-metal types boot in minutes', () => {
    const windows = scheduleFor(10_000, { platform: 'windows', instanceType: 'm5.large', timeScale: 1 });
    expect(windows.expect.stop).toBe(60_000);
    // Its build is still polled every 20 s, so a failure on the console is seen soon.
    expect(windows.buildMs).toBe(20_000);
    expect(
      scheduleFor(10_000, { platform: 'linux', instanceType: 'm5.metal', timeScale: 1 }).expect.boot,
    ).toBe(600_000);
  });

  it('Pace: no poll before the expected end, then short delays growing ×1.5 to the interval', () => {
    const clock = fakeClock(0);
    const pace = new Pace(scheduleFor(10_000, linux), clock, 180_000);
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
  // AWS's time scale (timeScale 1, poll-interval 10), one localcloud tick a second: boot 30 s, the user
  // data 40 s (so the builder stops 70 s after launch), the stop 15 s, CreateImage 180.5 s.
  let cloud: UnitCloud;
  beforeAll(async () => {
    cloud = await startCloud({
      durations: { instanceBoot: 30_000, provision: 40_000, instanceStop: 15_000, imageAvailable: 180_500 },
      tickMs: 1_000,
    });
  });
  afterAll(() => cloud.stop());
  beforeEach(() => cloud.reset());

  const bakeAndSleeps = async (clients: AwsClients = cloud.clients) => {
    const ctx = { ...cloud.context(), clients };
    const o = bakeOptions(
      {
        name: 'web',
        'source-ami': AL2023,
        'user-data': '#!/bin/bash\nshutdown -h now\n',
        'poll-interval': '10',
      },
      // AWS's own time scale: localcloud runs here at AWS's durations.
      { workingDirectory: workspace(), timeScale: 1 },
    );
    await bake(ctx, o);
    return ctx.clock.sleeps;
  };

  it('first polls the builder when its boot should be over and the image when it should be available', async () => {
    // The boot; the build polled every 18 s, often enough to see the stop (which began at 70 s, as
    // EC2's StateTransitionReason says), whose end is expected 20 s after it began; the console
    // read at once; the image once early (15 s: a failing image fails fast), at its expected end,
    // then 1 s later.
    expect(await bakeAndSleeps()).toEqual([30_000, 18_000, 18_000, 18_000, 6_000, 15_000, 165_000, 1_000]);
  });

  it('without the time of the stop, expects its end 20 s after the last poll that saw the builder running', async () => {
    // The one fake left: localcloud always writes when a stop began into StateTransitionReason,
    // as EC2 does ("User initiated (2017-12-08 18:26:53 GMT)"); that text is free-form and the
    // bake must cope without the time, which only this rewrite of the answers can show.
    const ec2 = new EC2Client(clientConfig(cloud.lc, REGION));
    ec2.middlewareStack.add(
      (next) => async (args) => {
        const out = await next(args);
        const output = out.output as { Reservations?: { Instances?: Instance[] }[] };
        for (const i of (output.Reservations ?? []).flatMap((r) => r.Instances ?? []))
          if (i.StateTransitionReason)
            i.StateTransitionReason = i.StateTransitionReason.replace(/\s*\(.*\)$/, '');
        return out;
      },
      { step: 'initialize', name: 'dropTransitionTime' },
    );
    const clients: AwsClients = {
      ...cloud.clients,
      ec2: (region) => (region && region !== REGION ? cloud.clients.ec2(region) : ec2),
    };
    try {
      // The stop is seen at 84 s and expected to end at 66 + 20 = 86 s; it ended at 85 s.
      expect(await bakeAndSleeps(clients)).toEqual([
        30_000, 18_000, 18_000, 18_000, 2_000, 15_000, 165_000, 1_000,
      ]);
    } finally {
      ec2.destroy();
    }
  });
});
