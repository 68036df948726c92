// localcloud in-process for unit tests (bake's, roll's, wait-healthy's): real SDK clients against
// its EC2 and SSM (and Auto Scaling, ELBv2, SQS when asked), and one virtual clock shared by the code
// under test and localcloud (the code's sleep is localcloud's time passing), so a run goes exactly
// the same way every time and never really waits.
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { AwsClients } from '../../../src/aws/clients.js';
import type { Clock } from '../../../src/core/clock.js';
import { AbortedError } from '../../../src/core/errors.js';
import { memoryLog } from '../../../src/core/log.js';
import type { ActionContext } from '../../../src/core/context.js';
import { REALISTIC_DURATIONS, type Durations } from '../../localcloud/durations.js';
import { start, type Localcloud } from '../../localcloud/index.js';
import type { LogQuery } from '../../localcloud/logs.js';
import type { Image, Instance, Snapshot, Tag } from '../../localcloud/state.js';
import { clientConfig } from '../../localcloud/test-support.js';
import { virtualClock } from './virtual-clock.js';

export const REGION = 'us-east-1';
/** When every test's bake starts (2023-11-14T22:13:20Z). */
export const T0 = 1_700_000_000_000;

/**
 * localcloud's realistic (AWS) durations at 1/1000: the time scale the bake tests' options
 * announce (GOLDEN_AMI_TIME_SCALE 0.001), which shrinks the bake's priors alike (src/bake/schedule.ts). The
 * user data takes 10 s (AWS time) rather than 2 min: fewer build polls, the same outcomes.
 * Terminated instances stay visible, so a test can read the builder afterwards.
 */
export const UNIT_DURATIONS: Durations = {
  ...(Object.fromEntries(
    Object.entries(REALISTIC_DURATIONS).map(([k, ms]) => [k, Math.max(1, Math.round(ms / 1000))]),
  ) as unknown as Durations),
  provision: 10,
  terminatedVisible: REALISTIC_DURATIONS.terminatedVisible,
};

const notUsed = (): never => {
  throw new Error('this unit cloud serves only EC2 and SSM, and the services startCloud was asked for');
};
// Innermost: only the request on the wire, not the code's own waits inside send (wait-healthy's
// request budget sleeps in middleware before sending, and must be able to let time pass).
const trackStep = { step: 'deserialize', name: 'unitCloudInFlight' } as const;

export const tagsOf = (tags: readonly Tag[]): Record<string, string> =>
  Object.fromEntries(tags.map((t) => [t.Key, t.Value]));

/** The tested code's clock and localcloud's: a sleep advances both and runs localcloud's ticker. */
export interface VirtualClock extends Clock {
  /** Every sleep of the code under test, in ms. */
  sleeps: number[];
  advance(ms: number): void;
}

export interface UnitCloud {
  lc: Localcloud;
  clients: AwsClients;
  clock: VirtualClock;
  /** A fresh world (regions re-seeded, logs cleared), time back at T0. */
  reset(): void;
  context(signal?: AbortSignal): ActionContext & { log: ReturnType<typeof memoryLog>; clock: VirtualClock };
  image(id: string): (Image & { region: string }) | undefined;
  instance(id: string): Instance | undefined;
  snapshot(id: string): Snapshot | undefined;
  /** Instances not terminated nor shutting down, in every region. */
  liveInstances(): Instance[];
  /** Images and snapshots the account owns, in every region (the base images are Amazon's). */
  ownImages(): Image[];
  ownSnapshots(): Snapshot[];
  /** Every request localcloud answered (refused ones too). */
  calls(q?: LogQuery): { operation: string; region: string; params: Record<string, unknown> }[];
  /** Successful state-changing calls as "Operation region", in order. */
  mutations(q?: LogQuery): string[];
  /** The sequence number of the last mutation: `mutations({ since })` lists what came after. */
  lastMutation(): number;
  stop(): Promise<void>;
}

export interface CloudOptions {
  durations?: Partial<Durations>;
  tickMs?: number;
  autoScaling?: boolean;
  elbv2?: boolean;
  sqs?: boolean;
  /**
   * For code with concurrent sleepers (wait-healthy: a scheduler per region): time jumps to the
   * earliest pending sleep once nothing else can run and no request is in flight, instead of every
   * sleep advancing time as it is made.
   */
  concurrent?: boolean;
}

/** The ticking advance: one localcloud tick every `tickMs` (at most 100 a call). */
function ticking(lc: Localcloud, tickMs: number) {
  return (ms: number) => {
    const step = Math.max(tickMs, Math.ceil(ms / 100));
    for (let left = ms; left > 0; left -= step) lc.control.advanceClock(Math.min(step, left));
  };
}

function sequentialClock(lc: Localcloud, advance: (ms: number) => void): VirtualClock {
  const clock: VirtualClock = {
    sleeps: [],
    now: () => lc.world.clock.now(),
    advance,
    sleep: async (ms, signal) => {
      if (signal?.aborted) throw new AbortedError();
      clock.sleeps.push(ms);
      advance(ms);
    },
  };
  return clock;
}

/** The concurrent clock, and the SDK middleware that holds its jumps while a request is in flight. */
function concurrentClock(lc: Localcloud, advance: (ms: number) => void) {
  let inFlight = 0;
  const scheduler = virtualClock(T0, { now: () => lc.world.clock.now(), advance, busy: () => inFlight > 0 });
  const clock: VirtualClock = {
    sleeps: [],
    now: scheduler.now,
    advance,
    sleep: (ms, signal) => {
      if (!signal?.aborted) clock.sleeps.push(ms);
      return scheduler.sleep(ms, signal);
    },
  };
  const track =
    (next: (args: unknown) => Promise<unknown>) =>
    async (args: unknown): Promise<unknown> => {
      inFlight++;
      try {
        return await next(args);
      } finally {
        if (--inFlight === 0) scheduler.wake();
      }
    };
  return { clock, track };
}

type Tracked = { middlewareStack: { add(m: unknown, o: typeof trackStep): void } };

/**
 * Starts localcloud with its ticker stopped and its clock frozen: time moves only when the code
 * under test (or a test) sleeps, one tick every `tickMs` (at most 100 ticks a sleep), so a state
 * changes when its time is up, as under localcloud's own ticker, and not only when the code polls.
 * Clients: EC2 and SSM, and Auto Scaling, ELBv2, SQS when asked (else using them throws).
 */
export async function startCloud(o: CloudOptions = {}): Promise<UnitCloud> {
  const lc = await start({ port: 0, seed: 1, durations: { ...UNIT_DURATIONS, ...o.durations } });
  lc.world.ticker.stop();
  lc.world.clock.freeze(T0);
  const advance = ticking(lc, o.tickMs ?? 1);
  const concurrent = o.concurrent ? concurrentClock(lc, advance) : undefined;
  const clock = concurrent?.clock ?? sequentialClock(lc, advance);
  const made: { destroy(): void }[] = [];
  const perRegion = <C extends { destroy(): void }>(
    wanted: boolean | undefined,
    Ctor: new (config: ReturnType<typeof clientConfig>) => C,
  ): ((r?: string) => C) => {
    if (!wanted) return notUsed;
    const byRegion = new Map<string, C>();
    return (r = REGION) => {
      let c = byRegion.get(r);
      if (!c) {
        c = new Ctor(clientConfig(lc, r));
        if (concurrent) (c as unknown as Tracked).middlewareStack.add(concurrent.track, trackStep);
        byRegion.set(r, c);
        made.push(c);
      }
      return c;
    };
  };
  const sqs = perRegion(o.sqs, SQSClient);
  const clients: AwsClients = {
    defaultRegion: REGION,
    ec2: perRegion(true, EC2Client),
    ssm: perRegion(true, SSMClient),
    autoScaling: perRegion(o.autoScaling, AutoScalingClient),
    elbv2: perRegion(o.elbv2, ElasticLoadBalancingV2Client),
    sqs: (r) => Promise.resolve(sqs(r)),
    sts: notUsed,
    destroy: () => undefined,
  };
  const regions = () => lc.world.regions();
  const all = <T>(pick: (r: ReturnType<typeof regions>[number]) => Iterable<T>): T[] =>
    regions().flatMap((r) => [...pick(r)]);
  const account = lc.world.accountId;
  return {
    lc,
    clients,
    clock,
    reset() {
      lc.control.reset();
      lc.world.clock.freeze(T0);
      clock.sleeps.length = 0;
    },
    context: (signal = new AbortController().signal) => ({ clients, clock, log: memoryLog(), signal }),
    image(id) {
      for (const r of regions()) {
        const image = r.ec2.images.get(id);
        if (image) return { ...image, region: r.name };
      }
      return undefined;
    },
    instance: (id) => all((r) => r.ec2.instances.values()).find((i) => i.instanceId === id),
    snapshot: (id) => all((r) => r.ec2.snapshots.values()).find((s) => s.snapshotId === id),
    liveInstances: () =>
      all((r) => r.ec2.instances.values()).filter(
        (i) => i.state !== 'terminated' && i.state !== 'shutting-down',
      ),
    ownImages: () => all((r) => r.ec2.images.values()).filter((i) => i.ownerId === account),
    ownSnapshots: () => all((r) => r.ec2.snapshots.values()).filter((s) => s.ownerId === account),
    calls: (q) =>
      lc.logs.calls.query(q).map((c) => ({
        operation: c.operation,
        region: c.region,
        params: c.params as Record<string, unknown>,
      })),
    mutations: (q) => lc.logs.mutations.query(q).map((m) => `${m.operation} ${m.region}`),
    lastMutation: () => lc.logs.mutations.query().at(-1)?.seq ?? 0,
    async stop() {
      for (const c of made) c.destroy();
      await lc.stop();
    },
  };
}
