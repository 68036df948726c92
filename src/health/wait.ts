// waitHealthy: the entry point and the per-region wait loop over many refreshes at once.
// Each refresh ends proven healthy, failed (and rolled back), or timed out. One scheduler per region
// on the shared Clock; every AWS request of a region draws from the same budget.
import type { Clock } from '../core/clock.js';
import { ConfigurationError, describeError, withContext } from '../core/errors.js';
import { poll } from '../core/poll.js';
import type { ActionContext } from '../core/context.js';
import { isTransient } from '../aws/errors.js';
import { HealthApi } from './aws-calls.js';
import { RequestBudget } from './budget.js';
import { resolveOptions, type ResolvedOptions } from './defaults.js';
import { newGroupState, type GroupState } from './group-state.js';
import { checksDecide } from './lifecycle.js';
import { resolveTargets } from './resolve-targets.js';
import { pollRound, provableVersion, RegionRound, urgent } from './round.js';
import type { HealthResult, HealthStatus, WaitOptions } from './types.js';
import type { WatchedRefresh } from './watched-refresh.js';

export type { HealthResult, WaitOptions, GroupResult, HealthStatus } from './types.js';

/** Worst first: the overall status is the worst status of any group. */
const SEVERITY: readonly HealthStatus[] = ['failed', 'timed-out', 'rolled-back', 'healthy'];

/**
 * Waits until every watched refresh is proven healthy — refresh Successful, every InService
 * instance on the expected launch template version and AMI, InService count at desired capacity,
 * every target healthy, and each instance answering `healthUrl` — or fails, rolling the refresh
 * back when `rollbackOnFailure` (default true). Never throws for a failed fleet: the outcome is in
 * the result. Throws ConfigurationError for bad options, ActionFailure when the groups cannot be
 * found or AWS refuses a call outright (permissions), AbortedError when cancelled.
 *
 * Throttling and 5xx during the wait only delay it. Defaults are action.yml's.
 */
export async function waitHealthy(ctx: ActionContext, options: WaitOptions): Promise<HealthResult> {
  const { clock, log, signal } = ctx;
  const o = resolveOptions(options);
  checkOptions(options, o);
  const startedAt = clock.now();
  const budget = new RequestBudget(clock, o.maxRequestsPerSecond);
  const api = new HealthApi(ctx.clients, budget, signal);
  const regions = options.regions?.length ? options.regions : [ctx.clients.defaultRegion];
  const empty = {
    groups: [],
    failures: [],
    startedAt,
    requests: {},
    maxRequestsPerSecond: o.maxRequestsPerSecond,
  };
  if (
    options.refreshes?.length === 0 &&
    !options.asgNames?.length &&
    !Object.keys(options.asgTags ?? {}).length
  ) {
    // roll-asg found every group already current and started nothing: there is nothing to prove.
    log.warning('refreshes is an empty list: no instance refresh to watch');
    return { status: 'healthy', endedAt: clock.now(), ...empty };
  }
  const minMs = o.pollIntervalMs;
  const maxMs = o.maxPollIntervalMs;
  const deadline = startedAt + o.timeoutMs;
  const targets = await findTargets(ctx, api, options, regions, { deadline, minMs, maxMs });
  const states = targets.map((t) => newGroupState(t, startedAt, deadline, minMs, maxMs, o.expectedAmiId));
  const byRegion = new Map<string, GroupState[]>();
  for (const s of states) byRegion.set(s.region, [...(byRegion.get(s.region) ?? []), s]);

  const pause = options.pause ?? clockPause(clock);
  const what = `${states.length} group${states.length === 1 ? '' : 's'} in ${byRegion.size} region${byRegion.size === 1 ? '' : 's'}`;
  await log.group(`Waiting for ${what} (at most ${o.maxRequestsPerSecond} requests/s per region)`, () =>
    Promise.all(
      [...byRegion].map(([region, ss]) => watchRegion(new RegionRound(ctx, api, region, o), ss, pause)),
    ),
  );

  const groups = states.map((s) => s.result);
  const status = SEVERITY.find((sev) => groups.some((g) => g.status === sev)) ?? 'healthy';
  const failures = groups
    .filter((g) => g.status !== 'healthy')
    .map((g) => `${g.region}/${g.group}: ${g.status}: ${g.message}`);
  for (const g of groups)
    (g.status === 'healthy' ? log.info : log.warning)(`${g.region}/${g.group}: ${g.message}`);
  return {
    status,
    groups,
    failures,
    startedAt,
    endedAt: clock.now(),
    requests: budget.counts(),
    maxRequestsPerSecond: o.maxRequestsPerSecond,
  };
}

/** The refreshes to watch (roll-asg's records, or the groups' latest), retrying transient faults. */
function findTargets(
  ctx: ActionContext,
  api: HealthApi,
  options: WaitOptions,
  regions: readonly string[],
  t: { deadline: number; minMs: number; maxMs: number },
): Promise<WatchedRefresh[]> {
  const { clock, log, signal } = ctx;
  return log.group('Finding the refreshes to watch', () =>
    poll({
      phase: 'looking up the Auto Scaling groups',
      clock,
      signal,
      deadline: t.deadline,
      minDelayMs: t.minMs,
      maxDelayMs: t.maxMs,
      isTransient,
      onTransient: (err) => log.warning(`looking up groups: ${describeError(err)}; retrying`),
      check: async () => ({
        done: true as const,
        value: await resolveTargets(
          api,
          { refreshes: options.refreshes, asgNames: options.asgNames, asgTags: options.asgTags, regions },
          log,
        ),
      }),
    }).catch((err: unknown) => {
      throw withContext('looking up the Auto Scaling groups', err);
    }),
  );
}

function checkOptions(options: WaitOptions, o: ResolvedOptions): void {
  const problems: string[] = [];
  if (
    options.refreshes === undefined &&
    !options.asgNames?.length &&
    !Object.keys(options.asgTags ?? {}).length
  )
    problems.push('at least one of refreshes, asg-names, asg-tags is required');
  if (!(o.maxRequestsPerSecond > 0))
    problems.push(
      `max-requests-per-second: ${o.maxRequestsPerSecond} is not accepted; accepted: a positive number`,
    );
  // Named and valued as the inputs are: in seconds.
  if (!(o.pollIntervalMs > 0))
    problems.push(`poll-interval: ${o.pollIntervalMs / 1000} is not accepted; accepted: a positive number`);
  if (!(o.timeoutMs > 0))
    problems.push(`timeout: ${o.timeoutMs / 1000} seconds is not accepted; accepted: a positive duration`);
  if (o.expectedVersion !== undefined && !o.healthUrl)
    problems.push('expected-version: needs health-url as well');
  if (problems.length) throw new ConfigurationError(problems);
}

type Pause = NonNullable<WaitOptions['pause']>;

/** The default pause between rounds: the clock's sleep; nothing wakes it early. */
const clockPause =
  (clock: Clock): Pause =>
  async (ms, signal) => {
    await clock.sleep(ms, signal);
    return new Set();
  };

/**
 * The pause between two rounds, the one place the wait loop rests: an event source (WaitOptions
 * `pause`) may end it early and name the refreshes it heard about; those become due at once.
 */
async function pauseUntilNextRound(
  ms: number,
  live: readonly GroupState[],
  pause: Pause,
  signal: AbortSignal,
): Promise<Set<GroupState>> {
  // Verifying a Successful refresh (or a rollback) is polled at its pace; only waits on running refreshes stretch.
  const onlyRefreshes = live.every((s) => checksDecide(s.life) && s.refresh?.Status !== 'Successful');
  const heard = await pause(Math.max(0, ms), signal, onlyRefreshes);
  return new Set(live.filter((s) => s.refreshId !== undefined && heard.has(s.refreshId)));
}

/**
 * When a refresh is read next: at its pace; but a running refresh whose end the group's switch to
 * its desired configuration will prove, and whose group shows nothing that switch cannot decide,
 * only every max-poll-interval (a stall, or an end nothing in the group shows, such as a cancel).
 */
function readDelay(s: GroupState, maxMs: number): number {
  const running = s.refresh?.Status === 'InProgress' || s.refresh?.Status === 'Pending';
  const rarely = checksDecide(s.life) && running && !s.undecided && provableVersion(s) !== undefined;
  return rarely ? maxMs : s.pace.nextDelayMs();
}

/**
 * One region's scheduler. A round runs once per poll interval (the group scan that sees refreshes
 * end, and the refreshes due at their pace), when an event source woke a refresh, or when a
 * refresh reaches its deadline.
 */
async function watchRegion(r: RegionRound, states: GroupState[], pause: Pause): Promise<void> {
  const { clock, signal } = r.ctx;
  const intervalMs = r.o.pollIntervalMs;
  let scanAt = clock.now();
  let woken = new Set<GroupState>();
  for (;;) {
    const live = states.filter((s) => s.life.phase !== 'done');
    if (!live.length) return;
    const now = clock.now();
    if (now < scanAt && !live.some((s) => urgent(s, now, woken))) {
      const next = Math.min(scanAt, ...live.map((s) => Math.max(s.nextAt, s.deadlineAt)));
      woken = await pauseUntilNextRound(next - now, live, pause, signal);
      continue;
    }
    r.bound(live);
    const read = await pollRound(r, live, woken);
    woken = new Set();
    const after = clock.now();
    // A refresh about to end (its group looks finished, the switch not yet seen): scan again as
    // soon as the budget allows, so its end is seen within a second or so, not a poll interval.
    const ending = live.some((s) => s.ending && s.life.phase !== 'done');
    scanAt = Math.max(
      now + (ending ? Math.min(intervalMs, r.soonestScanMs(live.length)) : intervalMs),
      after,
    );
    for (const s of read)
      if (s.life.phase !== 'done')
        s.nextAt = Math.min(after + readDelay(s, r.o.maxPollIntervalMs), Math.max(s.deadlineAt, after + 1));
  }
}
