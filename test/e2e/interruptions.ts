// The interruption driver of issue 24 item 9: one uninterrupted deploy-ami over the brownfield
// estate records its mutating calls (for two baselines: a healthy AMI, and one that fails in one
// group, whose calls include the put-back); then for every index k the same deploy is ended at the
// k-th mutating call in each of four ways, and the invariant is checked by diffing every observable:
//   cancel     the runner's cancel while call k is in flight: SIGINT, SIGTERM, SIGKILL, then the post step
//   kill       the runner lost: SIGKILL while call k is in flight (nothing cleans up), then the post step
//   throttle   every AWS call from k on is throttled (up to THROTTLE_BOUND answers, so the run ends)
//   5xx        call k answers 500 on every SDK attempt
//   drop       call k takes effect and its connection drops (the SDK retries into its own effect)
//   denied     call k and every later call of its operation is refused: AccessDenied (a policy lacks it)
//   unhealthy  from k on, the new AMI's instances fail their health checks in one group only
// Call k is found exactly: a localcloud `hold` fault rule on that operation's n-th call (`sequence`)
// holds it before it is applied; the driver acts and releases it.
import type { CancelPlan } from '../harness/run-action.js';
import { localcloudEnv, runActionStep, type ActionRun, type StepRun } from '../harness/run-action.js';
import { start, type Localcloud } from '../localcloud/index.js';
import { isMutating } from '../localcloud/logs.js';
import { DEFAULT_API_KEY } from '../localcloud/octopus/index.js';
import {
  checkInvariant,
  describeVerdict,
  settledSnapshot,
  violationKinds,
  snapshot,
  type Intent,
  type Scope,
  type Snapshot,
  type Verdict,
} from '../support/observables.js';
import {
  buildEstate,
  CREDENTIALS,
  ENVIRONMENT,
  movedGroups,
  PARAMETER,
  PRIMARY,
  SELECT_TAGS,
  type Estate,
} from './brownfield.js';

export const ENDINGS = ['cancel', 'kill', 'throttle', '5xx', 'drop', 'denied', 'unhealthy'] as const;
export type EndingKind = (typeof ENDINGS)[number];

/**
 * The run that is recorded and then interrupted: a deploy of a healthy AMI (its calls are the
 * forward path), or one whose AMI fails in FAILING_GROUP from the start (its calls include the
 * put-back: rollbacks, restored labels, deleted versions), so endings also strike the put-back.
 */
export const BASELINES = ['healthy-ami', 'failing-group'] as const;
export type Baseline = (typeof BASELINES)[number];
/** The endings tried on a baseline (`unhealthy` adds nothing where a group fails already). */
export const endingsFor = (b: Baseline): readonly EndingKind[] =>
  b === 'failing-group' ? ENDINGS.filter((e) => e !== 'unhealthy') : ENDINGS;

/** The group whose refresh fails in the `unhealthy` ending. */
export const FAILING_GROUP = 'web-mixed';
/** The SDK makes 3 attempts per call: a 5xx on each fails the call. */
const SDK_ATTEMPTS = 3;
/** How each service says a policy does not allow the call (IAM answers; not retried by the SDK). */
const DENIED: Record<string, { status: 400 | 403; code: string }> = {
  ec2: { status: 403, code: 'UnauthorizedOperation' },
  autoscaling: { status: 403, code: 'AccessDenied' },
  ssm: { status: 400, code: 'AccessDeniedException' },
};
/** Throttled answers from k on, then calls pass again, so every run ends. */
export const THROTTLE_BOUND = 30;

/** Short localcloud durations: one deploy over the estate takes a few seconds. */
export const FAST_DURATIONS = {
  instanceBoot: 100,
  instanceTerminate: 100,
  instanceStop: 100,
  healthCheckDelay: 150,
  ssmValidation: 50,
  consolePost: 50,
  apiSecond: 5,
};

export interface MutatingCall {
  /** 1-based index among the run's mutating calls. */
  k: number;
  service: string;
  operation: string;
  region: string;
  /** This call is the n-th call (attempts included) of its service/operation/region in the run. */
  n: number;
  /** A short reading of what it changed, for reports. */
  what: string;
}

export interface PointResult {
  baseline: Baseline;
  ending: EndingKind;
  k: number;
  call: MutatingCall;
  /** Whether call k was reached (a run may take another path and end before it). */
  reached: boolean;
  status: string;
  exitCode: number | null;
  killedBy: string | null;
  post?: { exitCode: number | null };
  verdict: Verdict;
  /** The main step's first error line. */
  error?: string;
  /** The post step's first error line. */
  postError?: string;
  ms: number;
}

export interface DriverCloud {
  lc: Localcloud;
  /** Resets localcloud and builds a fresh estate for the baseline; returns it with its scope and intent. */
  fresh(baseline?: Baseline): Promise<{ estate: Estate; scope: Scope; intent: Intent }>;
  stop(): Promise<void>;
}

export async function startDriverCloud(seed = 7): Promise<DriverCloud> {
  const lc = await start({ port: 0, seed, durations: FAST_DURATIONS });
  return {
    lc,
    async fresh(baseline = 'healthy-ami') {
      lc.control.reset();
      lc.control.setDurations(FAST_DURATIONS);
      const estate = await buildEstate(lc);
      if (baseline === 'failing-group') failIn(lc, estate);
      return { estate, scope: estateScope(lc, estate), intent: estateIntent(estate) };
    },
    stop: () => lc.stop(),
  };
}

/** From now on the new AMI's instances fail their health checks in FAILING_GROUP only. */
function failIn(lc: Localcloud, estate: Estate): void {
  lc.control.call('POST /images/behaviour', {
    region: PRIMARY,
    imageId: estate.newAmi,
    unhealthyGroups: [FAILING_GROUP],
  });
}

export function estateScope(lc: Localcloud, e: Estate): Scope {
  return {
    url: lc.url,
    regions: e.regions,
    parameters: e.parameters,
    groups: e.groups.map((g) => ({ region: g.region, name: g.name })),
    templates: Object.entries(e.templates).map(([name, t]) => ({ region: t.region, name })),
    instanceGroups: e.groups.map((g) => g.name),
    octopus: { url: `${lc.url}/octopus`, apiKey: DEFAULT_API_KEY },
    credentials: CREDENTIALS,
  };
}

export function estateIntent(e: Estate): Intent {
  const moved = movedGroups(e);
  return {
    ami: e.newAmi,
    moved: moved.map((g) => `${g.region}/${g.name}`),
    movedTemplates: moved.flatMap((g) => g.templates.map((t) => `${g.region}/${t}`)),
    parameter: PARAMETER,
    label: ENVIRONMENT,
  };
}

/** deploy-ami over the estate, as a workflow would run it (short polls and bounds for the tests). */
export function deployInputs(e: Estate): Record<string, string> {
  return {
    'ami-id': e.newAmi,
    'parameter-name': PARAMETER,
    environment: ENVIRONMENT,
    region: PRIMARY,
    'asg-tags': SELECT_TAGS,
    // AWS cannot roll back a refresh of the resolve:ssm group; deploy-ami refuses AutoRollback for it.
    'auto-rollback': 'false',
    // web-default follows $Default: once proven, the default moves so it follows $Default again.
    'set-default-version': 'true',
    'poll-interval': '0.2',
    'max-poll-interval': '0.5',
    'unhealthy-grace': '1',
    timeout: '1m',
  };
}

async function deploy(
  lc: Localcloud,
  e: Estate,
  opts: { cancel?: CancelPlan; beforePost?: (main: StepRun) => Promise<void> } = {},
): Promise<ActionRun> {
  return runActionStep('deploy-ami', {
    inputs: deployInputs(e),
    env: localcloudEnv(lc.url, PRIMARY),
    // A put-back persisting through throttling retries for up to put-back-timeout (5m by default):
    // the step's bound must leave it that long, as the runner does.
    timeoutMs: 600_000,
    ...(opts.cancel ? { cancel: opts.cancel } : {}),
    ...(opts.beforePost ? { beforePost: opts.beforePost } : {}),
  });
}

const summarize = (params: Record<string, unknown>): string => {
  const pick = [
    'AutoScalingGroupName',
    'LaunchTemplateId',
    'LaunchTemplateName',
    'Name',
    'ParameterVersion',
    'Labels',
    'Versions',
    'ImageId',
  ];
  return pick
    .filter((k) => params[k] !== undefined)
    .map((k) => `${k}=${JSON.stringify(params[k])}`)
    .join(' ');
};

export interface Recorded {
  baseline: Baseline;
  calls: MutatingCall[];
  run: ActionRun;
  verdict: Verdict;
}

/** The mutating calls (AWS, successful, main step only) of one uninterrupted deploy over a fresh estate. */
export async function recordCleanRun(
  cloud: DriverCloud,
  baseline: Baseline = 'healthy-ami',
): Promise<Recorded> {
  const { estate, scope, intent } = await cloud.fresh(baseline);
  const before = await snapshot(scope);
  let mainEnd = Number.POSITIVE_INFINITY;
  const run = await deploy(cloud.lc, estate, {
    beforePost: async () => {
      mainEnd = cloud.lc.logs.calls.query().at(-1)?.seq ?? 0;
    },
  });
  const log = cloud.lc.logs.calls.query().filter((c) => c.seq <= mainEnd && c.service !== 'octopus');
  const seen = new Map<string, number>();
  const calls: MutatingCall[] = [];
  for (const c of log) {
    const key = `${c.service}/${c.operation}/${c.region}`;
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    if (!isMutating(c.operation) || c.status !== 200) continue;
    calls.push({
      k: calls.length + 1,
      service: c.service,
      operation: c.operation,
      region: c.region,
      n,
      what: summarize(c.params as Record<string, unknown>),
    });
  }
  const after = await settledSnapshot(scope);
  const verdict = checkInvariant(before, after, intent, {
    status: run.outputs.status ?? '',
    cancelled: false,
    ...(run.post ? { post: { exitCode: run.post.exitCode } } : {}),
  });
  return { baseline, calls, run, verdict };
}

/** One interruption point: a fresh estate, the deploy ended at call k in the given way, the invariant. */
export async function runPoint(
  cloud: DriverCloud,
  ending: EndingKind,
  call: MutatingCall,
  opts: { sigtermAfterMs?: number; killAfterMs?: number; throttleBound?: number; baseline?: Baseline } = {},
): Promise<PointResult> {
  const t0 = Date.now();
  const { lc } = cloud;
  const baseline = opts.baseline ?? 'healthy-ami';
  const { estate, scope, intent } = await cloud.fresh(baseline);
  const before = await snapshot(scope);
  const hold = lc.faults.add({
    service: call.service,
    operation: call.operation,
    region: call.region,
    kind: 'hold',
    sequence: `${'.'.repeat(call.n - 1)}x`,
    latencyMs: 30_000,
  });
  const arrived = lc.faults.arrived(hold.id);
  const where = { service: call.service, operation: call.operation, region: call.region };
  let reached = false;
  void arrived.then(async () => {
    reached = true;
    switch (ending) {
      case 'cancel':
        // The harness sends SIGINT on arrival; the call stays in flight a moment longer.
        await new Promise((r) => setTimeout(r, 100));
        break;
      case 'throttle':
        lc.faults.add({ kind: 'throttle', count: opts.throttleBound ?? THROTTLE_BOUND });
        break;
      case '5xx':
        lc.faults.add({ ...where, kind: 'error', status: 500, count: SDK_ATTEMPTS });
        break;
      case 'drop':
        lc.faults.add({ ...where, kind: 'drop', after: true, count: 1 });
        break;
      case 'denied':
        lc.faults.add({
          ...where,
          kind: 'error',
          ...(DENIED[call.service] ?? { status: 403, code: 'AccessDenied' }),
        });
        break;
      case 'unhealthy':
        failIn(lc, estate);
        break;
      case 'kill':
        break;
    }
    lc.faults.release(hold.id);
  });
  let afterMain: Snapshot | undefined;
  const run = await deploy(lc, estate, {
    ...(ending === 'cancel' || ending === 'kill'
      ? {
          cancel: {
            when: arrived,
            ...(ending === 'kill' ? { firstSignal: 'SIGKILL' as const } : {}),
            ...(opts.sigtermAfterMs !== undefined ? { sigtermAfterMs: opts.sigtermAfterMs } : {}),
            ...(opts.killAfterMs !== undefined ? { killAfterMs: opts.killAfterMs } : {}),
          },
        }
      : {}),
    beforePost: async () => {
      // A reading between main and post, where one exists: with throttling from call k on, the
      // reading's own calls may be refused past its retries (the ending's faults are still on).
      afterMain = await snapshot(scope).catch(() => undefined);
    },
  });
  lc.faults.release(hold.id);
  lc.faults.clear();
  const after = await settledSnapshot(scope);
  const status = run.outputs.status ?? '';
  const verdict = checkInvariant(before, after, intent, {
    status,
    cancelled: (ending === 'cancel' || ending === 'kill') && reached,
    ...(run.post ? { post: { exitCode: run.post.exitCode } } : {}),
    ...(afterMain ? { afterMain } : {}),
    failureLines: [...run.errors, ...(run.post?.errors ?? [])],
  });
  return {
    baseline,
    ending,
    k: call.k,
    call,
    reached,
    status,
    exitCode: run.exitCode,
    killedBy: run.killedBy,
    ...(run.post ? { post: { exitCode: run.post.exitCode } } : {}),
    verdict,
    ...(run.errors[0] ? { error: run.errors[0] } : {}),
    ...(run.post?.errors[0] ? { postError: run.post.errors[0] } : {}),
    ms: Date.now() - t0,
  };
}

/** A report block for one violating point: ending, k, the call at k, the status and the diff. */
export function describePoint(p: PointResult): string {
  const kinds = violationKinds(p.verdict);
  const head = `${p.baseline}: ${p.ending} at k=${p.k} (${p.call.service}.${p.call.operation} #${p.call.n} in ${p.call.region}: ${p.call.what})`;
  const run = `status ${p.status ? `"${p.status}"` : '(none)'}, exit ${p.exitCode}${p.killedBy ? ` (${p.killedBy})` : ''}${p.post ? `, post exit ${p.post.exitCode}` : ', no post step'}${p.reached ? '' : ', call k never reached'}`;
  return [
    `${p.verdict.ok ? 'OK' : `VIOLATION (${kinds.join(', ')})`} ${head}: ${run}`,
    ...(p.error ? [`  error: ${p.error.slice(0, 1500)}`] : []),
    ...(p.postError ? [`  post step error: ${p.postError.slice(0, 1500)}`] : []),
    ...describeVerdict(p.verdict).map((l) => `  ${l}`),
  ].join('\n');
}

export interface Sweep {
  recorded: Recorded[];
  points: PointResult[];
}

/**
 * The sweep: per baseline one uninterrupted run recorded, then every ending at every k in `ks`
 * (default: every index), each on a fresh estate. `onPoint` sees each result as it comes (for logs).
 */
export async function sweep(
  cloud: DriverCloud,
  opts: {
    baselines?: readonly Baseline[];
    ks?: (calls: MutatingCall[]) => number[];
    sigtermAfterMs?: number;
    killAfterMs?: number;
    onPoint?: (p: PointResult) => void;
  } = {},
): Promise<Sweep> {
  const recorded: Recorded[] = [];
  const points: PointResult[] = [];
  for (const baseline of opts.baselines ?? BASELINES) {
    const r = await recordCleanRun(cloud, baseline);
    recorded.push(r);
    const ks = opts.ks?.(r.calls) ?? r.calls.map((c) => c.k);
    for (const ending of endingsFor(baseline))
      for (const k of ks) {
        const call = r.calls[k - 1];
        if (!call) continue;
        const p = await runPoint(cloud, ending, call, {
          baseline,
          ...(opts.sigtermAfterMs !== undefined ? { sigtermAfterMs: opts.sigtermAfterMs } : {}),
          ...(opts.killAfterMs !== undefined ? { killAfterMs: opts.killAfterMs } : {}),
        });
        points.push(p);
        opts.onPoint?.(p);
      }
  }
  return { recorded, points };
}

/** First, middle and last mutating call: a representative few, whatever the run's calls become. */
export const representativeKs = (calls: MutatingCall[]): number[] =>
  [...new Set([1, Math.ceil(calls.length / 2), calls.length])].filter((k) => k >= 1);
