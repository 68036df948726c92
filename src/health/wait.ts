// waitHealthy: watch many refreshes at once until each is proven healthy, fails (and is rolled
// back), or times out. One scheduler per region on the shared Clock; every AWS request of a
// region draws from the same budget.
import type { AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import type { Instance } from '@aws-sdk/client-ec2';
import type { TargetHealthDescription } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ConfigurationError, describeError, withContext } from '../core/errors.js';
import { poll } from '../core/poll.js';
import type { ActionContext } from '../core/run.js';
import { isTransient } from '../aws/errors.js';
import { HealthApi } from './aws-calls.js';
import { RequestBudget } from './budget.js';
import { resolveOptions, type ResolvedOptions } from './defaults.js';
import { groupVersion, look, type LookContext } from './group-watch.js';
import { finish } from './recovery.js';
import { newGroupState, type GroupState } from './group-state.js';
import { checkInstances, type HttpCheck } from './http-check.js';
import { resolveTargets } from './resolve-targets.js';
import type { HealthResult, HealthStatus, WaitOptions } from './types.js';
import { targetGroupArns } from './traffic-sources.js';

export type { HealthResult, WaitOptions, GroupResult, HealthStatus } from './types.js';

const MISSED = Symbol('missed');

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
  const timeoutMs = o.timeoutMinutes * 60_000;
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
  const minMs = o.pollIntervalSeconds * 1000;
  const maxMs = o.maxPollIntervalSeconds * 1000;

  const targets = await log.group('Finding the refreshes to watch', () =>
    poll({
      phase: 'looking up the Auto Scaling groups',
      clock,
      signal,
      deadline: startedAt + timeoutMs,
      minDelayMs: minMs,
      maxDelayMs: maxMs,
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

  const states = targets.map((t) =>
    newGroupState(t, startedAt, startedAt + timeoutMs, minMs, maxMs, o.expectedAmiId),
  );
  const byRegion = new Map<string, GroupState[]>();
  for (const s of states) byRegion.set(s.region, [...(byRegion.get(s.region) ?? []), s]);

  const what = `${states.length} group${states.length === 1 ? '' : 's'} in ${byRegion.size} region${byRegion.size === 1 ? '' : 's'}`;
  await log.group(`Waiting for ${what} (at most ${o.maxRequestsPerSecond} requests/s per region)`, () =>
    Promise.all([...byRegion].map(([region, ss]) => watchRegion(ctx, api, region, ss, o))),
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
  if (!(o.pollIntervalSeconds > 0))
    problems.push(
      `poll-interval-seconds: ${o.pollIntervalSeconds} is not accepted; accepted: a positive number`,
    );
  if (!(o.timeoutMinutes > 0))
    problems.push(`timeout-minutes: ${o.timeoutMinutes} is not accepted; accepted: 1 or more`);
  if (o.expectedVersion !== undefined && !o.healthUrl)
    problems.push('expected-version: needs health-url as well');
  if (problems.length) throw new ConfigurationError(problems);
}

interface RoundData {
  groups: Map<string, AutoScalingGroup>;
  instances: Map<string, Instance>;
  targets: Map<string, TargetHealthDescription[]>;
  http: Map<string, HttpCheck>;
}

async function watchRegion(
  ctx: ActionContext,
  api: HealthApi,
  region: string,
  states: GroupState[],
  o: ResolvedOptions,
): Promise<void> {
  const { clock, log, signal } = ctx;
  let lastMiss = '';
  for (;;) {
    const live = states.filter((s) => s.phase !== 'done');
    if (!live.length) return;
    const now = clock.now();
    const due = live.filter((s) => s.nextAt <= now);
    if (!due.length) {
      const wait = Math.min(...live.map((s) => s.nextAt)) - now;
      const heard = o.pause ? await o.pause(wait, signal) : await clock.sleep(wait, signal);
      // A refresh an event names is checked at once (the event is only a hint to look).
      for (const s of live) if (heard && s.refreshId && heard.has(s.refreshId)) s.nextAt = clock.now();
      continue;
    }
    await pollRound(ctx, api, region, due, o);
    const after = clock.now();
    for (const s of due)
      if (s.phase !== 'done')
        s.nextAt = Math.min(after + s.pace.nextDelayMs(), Math.max(s.deadlineAt, after + 1));
  }

  /** A transient fault delays one poll (MISSED); anything else (permissions, a deleted group) ends the wait. */
  async function soft<T>(what: string, fn: () => Promise<T>): Promise<T | typeof MISSED> {
    try {
      return await fn();
    } catch (err) {
      if (signal.aborted || !isTransient(err)) throw withContext(what, err);
      lastMiss = `${what}: ${describeError(err)}`;
      log.warning(`${region}: ${lastMiss}; trying again at the next poll`);
      return MISSED;
    }
  }

  async function pollRound(
    ctx: ActionContext,
    api: HealthApi,
    region: string,
    due: GroupState[],
    o: ResolvedOptions,
  ): Promise<void> {
    const seen = new Set<GroupState>();
    for (const s of due) {
      s.result.polls++;
      const r = await soft(`describing the refresh of ${s.group}`, () =>
        api.refresh(region, s.group, s.refreshId),
      );
      if (r === MISSED) continue;
      s.refresh = r;
      seen.add(s);
      if (r?.InstanceRefreshId && !s.refreshId) {
        s.refreshId = r.InstanceRefreshId;
        s.result.refreshId = r.InstanceRefreshId;
      }
    }
    const data: RoundData = { groups: new Map(), instances: new Map(), targets: new Map(), http: new Map() };
    const looked = [...seen.keys()].filter((s) => s.refresh);
    const names = looked.map((s) => s.group);
    const groups = names.length
      ? await soft('describing the groups', () => api.groupsByName(region, names))
      : [];
    for (const g of groups === MISSED ? [] : groups)
      if (g.AutoScalingGroupName) data.groups.set(g.AutoScalingGroupName, g);

    for (const s of looked)
      if (!s.expectedKnown)
        await soft(`resolving the expected AMI of ${s.group}`, () =>
          resolveExpected(api, s, data.groups.get(s.group)),
        );

    const watching = looked.filter((s) => s.phase === 'watching' && data.groups.has(s.group));
    const verifying = watching.filter(
      (s) => s.refresh?.Status === 'Baking' || s.refresh?.Status === 'Successful',
    );
    // Our refresh back to the previous version, once Successful, is proven from the instances too.
    const reverted = looked.filter(
      (s) =>
        s.reverting &&
        s.phase === 'rolling-back' &&
        s.refresh?.Status === 'Successful' &&
        data.groups.has(s.group),
    );
    const tgArns = new Set(
      [...watching, ...reverted]
        .filter((s) => s.refresh?.Status !== 'Pending')
        .flatMap((s) => targetGroupArns(data.groups.get(s.group))),
    );
    let targetsOk = true;
    for (const arn of tgArns) {
      const t = await soft(`describing target health of ${arn}`, () => api.targetHealth(region, arn));
      if (t === MISSED) targetsOk = false;
      else data.targets.set(arn, t);
    }
    const ids = [...verifying, ...reverted].flatMap((s) =>
      (data.groups.get(s.group)?.Instances ?? []).map((i) => i.InstanceId!).filter(Boolean),
    );
    const instances = ids.length ? await soft('describing instances', () => api.instances(region, ids)) : [];
    const instancesOk = instances !== MISSED;
    for (const i of instancesOk ? instances : []) if (i.InstanceId) data.instances.set(i.InstanceId, i);
    if (o.healthUrl && instancesOk) {
      const inService = verifying.flatMap((s) =>
        (data.groups.get(s.group)?.Instances ?? []).filter((i) => i.LifecycleState === 'InService'),
      );
      const checks = await checkInstances(
        inService
          .map((m) => data.instances.get(m.InstanceId!))
          .filter((i): i is Instance => Boolean(i))
          .map((i) => ({
            instanceId: i.InstanceId!,
            privateIp: i.PrivateIpAddress,
            privateDns: i.PrivateDnsName,
          })),
        {
          template: o.healthUrl,
          expectedVersion: o.expectedVersion,
          timeoutMs: o.healthUrlTimeoutSeconds * 1000,
          fetch: o.fetch,
          signal: ctx.signal,
        },
      );
      for (const [id, c] of checks) data.http.set(id, c);
    }

    const now = ctx.clock.now();
    const c: LookContext = {
      api,
      log: ctx.log,
      now,
      rollbackOnFailure: o.rollbackOnFailure,
      rollbackBudgetMs: o.timeoutMinutes * 60_000,
      graceMs: o.unhealthyGraceSeconds * 1000,
      httpConfigured: Boolean(o.healthUrl),
    };
    for (const s of due) {
      if (!seen.has(s)) {
        // Nothing read this poll; the deadline still holds, whatever AWS answers.
        if (now >= s.deadlineAt)
          if (s.refresh) await look(s, undefined, now, c);
          else unreadAtDeadline(s, now, lastMiss);
        continue;
      }
      const group = data.groups.get(s.group);
      // A snapshot is only complete when every part of it was read; otherwise judge status alone.
      const complete =
        group && targetsOk && (!(verifying.includes(s) || reverted.includes(s)) || instancesOk);
      const snapshot = complete
        ? {
            group,
            instances: data.instances,
            targets: data.targets,
            http: o.healthUrl ? data.http : undefined,
          }
        : undefined;
      if (!snapshot && group) s.result.groupVersion = groupVersion(group);
      await look(s, snapshot, now, c);
    }
  }
}

/**
 * The deadline passed and the refresh was never read (every DescribeInstanceRefreshes failed):
 * the wait ends timed out, saying it cannot tell what AWS did, rather than polling on.
 */
function unreadAtDeadline(s: GroupState, now: number, lastMiss: string): void {
  const minutes = Math.round((s.deadlineAt - s.result.timeline.watchStart) / 60_000);
  finish(
    s,
    'timed-out',
    'none',
    `timed out after ${minutes} minute(s) (timeout-minutes) without reading the refresh once` +
      `${lastMiss ? ` (last error: ${lastMiss})` : ''}; nothing was rolled back: check the group in AWS`,
    now,
  );
}

/** The version and AMI the refresh deploys: its desired configuration, else the group's own template. */
async function resolveExpected(
  api: HealthApi,
  s: GroupState,
  group: AutoScalingGroup | undefined,
): Promise<void> {
  const desired = s.refresh?.DesiredConfiguration;
  const spec =
    desired?.LaunchTemplate ??
    desired?.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification ??
    group?.LaunchTemplate ??
    group?.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
  if (!spec) {
    // A launch configuration, or the group is not readable yet: judge by what else we know.
    if (group) s.expectedKnown = true;
    return;
  }
  const v = await api.templateVersion(s.region, {
    launchTemplateId: spec.LaunchTemplateId,
    launchTemplateName: spec.LaunchTemplateName,
    version: s.expected.version ?? spec.Version ?? '$Default',
  });
  if (v) {
    s.expected.version ??= v.version;
    if (v.imageId?.startsWith('ami-')) s.expected.amiId ??= v.imageId;
  }
  s.result.expectedVersion = s.expected.version;
  s.result.expectedAmiId = s.expected.amiId;
  s.expectedKnown = true;
}
