// One polling round in one region: which refreshes to read, reading them, judging each group.
// One DescribeAutoScalingGroups per 100 groups shows which look finished; their refreshes and the
// due ones are read one after another, each group judged as soon as its own reads are in.
import type { AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import type { Instance } from '@aws-sdk/client-ec2';
import type { TargetHealthDescription } from '@aws-sdk/client-elastic-load-balancing-v2';
import { describeError, withContext } from '../core/errors.js';
import type { ActionContext } from '../core/context.js';
import { isTransient } from '../aws/errors.js';
import { launchTemplateOf } from '../aws/group-templates.js';
import { RUNNING_STATUSES } from '../aws/refreshes.js';
import { hasWarmPool } from '../aws/warm-pool.js';
import type { HealthApi } from './aws-calls.js';
import type { ResolvedOptions } from './defaults.js';
import { groupVersion, look, type LookContext } from './group-watch.js';
import type { GroupState } from './group-state.js';
import { checkInstances, type HttpCheck } from './http-check.js';
import { checksDecide, finish } from './lifecycle.js';
import { targetGroupArns } from './traffic-sources.js';
import { verify, type Snapshot } from './verify.js';

export const MISSED = Symbol('missed');

/** How long past the deadline a read in flight may still answer. */
const CALL_GRACE_MS = 5_000;
type Soft<T> = T | typeof MISSED;

/** What every round of one region shares. */
export class RegionRound {
  /** The last transient error, for the timed-out message of a refresh never read. */
  lastMiss = '';
  /** This region's reads, each sent with the round's signal (bound). */
  readonly api: HealthApi;
  /** Aborts the round's reads still in flight past its deadline (bound). */
  private deadline?: AbortSignal;
  private reads: AbortSignal;

  constructor(
    readonly ctx: ActionContext,
    api: HealthApi,
    readonly region: string,
    readonly o: ResolvedOptions,
  ) {
    this.reads = ctx.signal;
    this.api = api.withReads(() => this.reads);
  }

  /**
   * Bounds the round's reads by the latest deadline of its live groups (and a few seconds): a call
   * AWS does not answer (a region's API hanging) aborts there, is a miss, and the deadline decides
   * as for a refresh never read, instead of the wait outliving its timeout by a call's length.
   */
  bound(live: readonly GroupState[]): void {
    const end = Math.max(...live.map((s) => s.deadlineAt));
    const ms = Math.max(0, end - this.ctx.clock.now()) + CALL_GRACE_MS;
    // Node clamps a longer timer to 1 ms: past it, no bound.
    this.deadline = ms < 2 ** 31 - 1 ? AbortSignal.timeout(ms) : undefined;
    this.reads = this.deadline ? AbortSignal.any([this.ctx.signal, this.deadline]) : this.ctx.signal;
  }

  /** A transient fault delays one poll (MISSED); anything else (permissions, a deleted group) ends the wait. */
  async soft<T>(what: string, fn: () => Promise<T>): Promise<Soft<T>> {
    try {
      return await fn();
    } catch (err) {
      if (!this.ctx.signal.aborted && this.deadline?.aborted) {
        this.lastMiss = `${what}: no answer by the deadline (timeout)`;
        this.ctx.log.warning(`${this.region}: ${this.lastMiss}`);
        return MISSED;
      }
      if (this.ctx.signal.aborted || !isTransient(err)) throw withContext(what, err);
      this.lastMiss = `${what}: ${describeError(err)}`;
      this.ctx.log.warning(`${this.region}: ${this.lastMiss}; trying again at the next poll`);
      return MISSED;
    }
  }

  /** Instances already described: their AMI and private address do not change while they live. */
  private readonly known = new Map<string, Instance>();

  /** The instances by id, describing only those not described before; MISSED after a transient fault. */
  async instancesOf(ids: readonly string[]): Promise<Soft<Map<string, Instance>>> {
    const missing = ids.filter((id) => !this.known.has(id));
    const read = missing.length
      ? await this.soft('describing instances', () => this.api.instances(this.region, missing))
      : [];
    if (read === MISSED) return MISSED;
    const out = new Map<string, Instance>();
    for (const i of read) {
      if (!i.InstanceId) continue;
      out.set(i.InstanceId, i);
      // Kept once it has its AMI and private address (a pending instance may lack the address).
      if (i.ImageId && (i.PrivateIpAddress || i.PrivateDnsName)) this.known.set(i.InstanceId, i);
    }
    for (const id of ids) if (this.known.has(id)) out.set(id, this.known.get(id)!);
    return out;
  }

  /** The rest of this round's instances described together, 200 per call; a miss leaves them to each judgement. */
  async describeTogether(ids: readonly string[]): Promise<void> {
    if (ids.some((id) => !this.known.has(id))) await this.instancesOf(ids);
  }

  /** How many watched groups of the region each target group serves, from the last scan. */
  targetUsers = new Map<string, number>();

  countTargetUsers(groups: Iterable<AutoScalingGroup>): void {
    this.targetUsers = new Map();
    for (const g of groups)
      for (const arn of targetGroupArns(g)) this.targetUsers.set(arn, (this.targetUsers.get(arn) ?? 0) + 1);
  }

  /**
   * The soonest the next scan may come while a refresh is about to end: the scan's calls (one per
   * 100 groups) at half the budget, the other half left for the round's reads.
   */
  soonestScanMs(live: number): number {
    return Math.ceil((Math.ceil(live / 100) * 1000) / (this.o.maxRequestsPerSecond / 2));
  }

  /**
   * How many refreshes one round reads besides the urgent ones: what the budget allows in three
   * quarters of a poll interval after the group scan, so the round ends before the next scan is
   * due and that scan (which sees refreshes end) keeps its time; while a refresh is about to end,
   * what half the budget allows until the soonest scan.
   */
  readsPerRound(live: readonly GroupState[]): number {
    const rps = this.o.maxRequestsPerSecond;
    if (live.some((s) => s.ending))
      return Math.max(1, Math.floor((this.soonestScanMs(live.length) / 1000) * rps * 0.5));
    const budget = Math.floor((this.o.pollIntervalMs / 1000) * rps * 0.75);
    return Math.max(1, budget - Math.ceil(live.length / 100));
  }

  lookContext(now: number): LookContext {
    const o = this.o;
    return {
      api: this.api,
      log: this.ctx.log,
      now,
      rollbackOnFailure: o.rollbackOnFailure,
      leftFor: o.leftFor,
      rollbackBudgetMs: o.timeoutMs,
      graceMs: o.unhealthyGraceMs,
      httpConfigured: Boolean(o.healthUrl),
    };
  }
}

/**
 * Every InService instance on the refresh's version and at least the desired count InService:
 * what a finished refresh leaves (the refresh may still be warming the last instance up).
 */
function converged(s: GroupState, g: AutoScalingGroup): boolean {
  const want = s.expected.version;
  const inService = (g.Instances ?? []).filter((i) => i.LifecycleState === 'InService');
  if (!inService.length || inService.length < (g.DesiredCapacity ?? 0)) return false;
  return inService.every((i) => {
    const v = i.LaunchTemplate?.Version;
    return !want || !v || !/^\d+$/.test(v) || v === want;
  });
}

/** The launch template version a refresh's desired configuration names, if any. */
function desiredVersion(r: GroupState['refresh']): string | undefined {
  return launchTemplateOf(r?.DesiredConfiguration)?.Version;
}

/** The version the group had before its refresh: roll-asg's record, else the first scan. */
const versionBefore = (s: GroupState) => s.result.previousVersion ?? s.firstGroupVersion;

/**
 * The version whose appearance as the group's own proves the refresh succeeded, when there is one:
 * the refresh, read (so it exists and AWS runs it), has a desired configuration naming it, and the
 * group named another before. AWS: "Once the instance refresh succeeds, Amazon EC2 Auto Scaling
 * updates the settings of the Auto Scaling group to reflect the new desired configuration"
 * (StartInstanceRefresh, DesiredConfiguration). Never read, nothing is proven: what roll-asg's
 * record says it sent is not what AWS runs.
 */
export function provableVersion(s: GroupState): string | undefined {
  const want = s.expected.version;
  const before = versionBefore(s);
  if (want === undefined || before === undefined || before === want) return undefined;
  if (!s.refresh || s.statusFrom !== 'read') return undefined;
  return desiredVersion(s.refresh) === want ? want : undefined;
}

/** The group took the refresh's desired configuration: the refresh succeeded (no read needed). */
function switched(s: GroupState, g: AutoScalingGroup | undefined): boolean {
  if (!g || !checksDecide(s.life) || s.refresh?.Status === 'Successful') return false;
  // A refresh last read ended otherwise (or AWS rolls it back): the group's version proves nothing.
  if (s.refresh?.Status && !RUNNING_STATUSES.has(s.refresh.Status)) return false;
  const want = provableVersion(s);
  return want !== undefined && groupVersion(g) === want;
}

/**
 * What the group's batch answer shows that its switch to the desired configuration cannot decide,
 * so its refresh is read at its pace: an instance unhealthy, a new-version instance leaving, an
 * instance launched on another version since the first scan (a rollback), the group on a third
 * version, or the group missing. Undefined when the answer is what a running refresh looks like.
 */
export function undecided(s: GroupState, g: AutoScalingGroup | undefined): string | undefined {
  if (!g) return 'the group is not in the answer';
  const want = s.expected.version;
  const v = groupVersion(g);
  if (v !== undefined && v !== want && v !== versionBefore(s)) return `the group names version ${v}`;
  const first = !s.seen;
  const seen = (s.seen ??= new Set());
  let why: string | undefined;
  for (const i of g.Instances ?? []) {
    const id = i.InstanceId;
    if (!id) continue;
    const iv = i.LaunchTemplate?.Version;
    if (i.HealthStatus === 'Unhealthy') why ??= `${id} unhealthy`;
    else if (/^Terminating/.test(i.LifecycleState ?? '') && iv !== undefined && iv === want)
      why ??= `${id}, on version ${iv}, leaving`;
    else if (!first && !seen.has(id) && want !== undefined && iv !== undefined && iv !== want)
      why ??= `${id} launched on version ${iv}`;
    seen.add(id);
  }
  return why;
}

/**
 * The evidence took the group's refresh as Successful: no DescribeInstanceRefreshes. What was read
 * before (preferences, desired configuration) is kept for a refresh back.
 */
function inferSucceeded(s: GroupState, now: number): void {
  const { StatusReason: _reason, EndTime: _end, ...before } = s.refresh ?? {};
  s.refresh = {
    ...before,
    ...(s.refreshId ? { InstanceRefreshId: s.refreshId } : {}),
    Status: 'Successful',
    PercentageComplete: 100,
    InstancesToUpdate: 0,
  };
  s.statusFrom = 'desired-configuration';
  s.result.timeline.refreshEnd ??= now;
}

/**
 * Whether a group that cannot be proven by its switch looks finished in the scan: its refresh was
 * last read Successful (checks still pending), or it converged since its refresh was last read.
 */
function looksFinished(s: GroupState, g: AutoScalingGroup | undefined): boolean {
  if (!g || !checksDecide(s.life)) return false;
  if (s.refresh?.Status === 'Successful') return true;
  return !s.life.convergedRead && converged(s, g);
}

/**
 * A refresh the group's switch will prove, whose group already looks as the refresh leaves it: only
 * its last instance's warm-up is left before the switch.
 */
function aboutToEnd(s: GroupState, g: AutoScalingGroup | undefined): boolean {
  if (!g || s.life.phase !== 'watching' || s.refresh?.Status === 'Successful') return false;
  // Bake time follows the warm-up (minutes, or hours): read once then (pollRound), not scanned for.
  if ((s.refresh?.Preferences?.BakeTime ?? 0) > 0) return false;
  return provableVersion(s) !== undefined && !s.undecided && converged(s, g);
}

/** A Successful refresh stays Successful: while its checks are pending it is not read again. */
const needsRead = (s: GroupState) => !(checksDecide(s.life) && s.refresh?.Status === 'Successful');

/**
 * Groups by name (100 per call); an empty map, not MISSED, after a transient fault: every group is
 * then undecided, and one judged this round goes by its refresh's status alone.
 */
async function readGroups(r: RegionRound, names: string[]): Promise<Map<string, AutoScalingGroup>> {
  if (!names.length) return new Map();
  const groups = await r.soft('describing the groups', () => r.api.groupsByName(r.region, names));
  if (groups === MISSED) return new Map();
  return new Map(groups.filter((g) => g.AutoScalingGroupName).map((g) => [g.AutoScalingGroupName!, g]));
}

/** Reads the group's refresh (unless it is known Successful, or `force`); false when the read missed. */
async function readRefresh(r: RegionRound, s: GroupState, force = false): Promise<boolean> {
  if (!force) s.result.polls++;
  if (!force && !needsRead(s)) return true;
  const refresh = await r.soft(`describing the refresh of ${s.group}`, () =>
    r.api.refresh(r.region, s.group, s.refreshId),
  );
  if (refresh === MISSED) return false;
  s.refresh = refresh;
  s.statusFrom = 'read';
  s.readAt = r.ctx.clock.now();
  s.undecided = undefined;
  if (refresh?.InstanceRefreshId && !s.refreshId) {
    s.refreshId = refresh.InstanceRefreshId;
    s.result.refreshId = refresh.InstanceRefreshId;
  }
  return true;
}

/** A refresh that must be read this round: at its deadline (so the verdict keeps it), or woken. */
export const urgent = (s: GroupState, now: number, forced: ReadonlySet<GroupState>) =>
  forced.has(s) || (s.nextAt <= now && now >= s.deadlineAt);

/**
 * One round over the region's live groups. First the refreshes at their deadline, then one
 * DescribeAutoScalingGroups per 100 live groups. A group that took its refresh's desired
 * configuration is judged Successful on that evidence, unread; so is one whose refresh was read
 * Successful. Then the refreshes an event woke (unless so proven), and — as many as the budget
 * allows in three quarters of a poll interval, so the next scan keeps its time — the refreshes the
 * scan cannot decide: groups whose answer shows something a switch cannot prove (undecided) or
 * that recover, groups without such a proof that look finished or are due at their pace, then the
 * rest when due (once, then every max-poll-interval). The instances of every group judged on
 * evidence are described together (200 per call), and target health once per target group.
 * Returns the groups whose refresh was read (or tried).
 */
export async function pollRound(
  r: RegionRound,
  live: readonly GroupState[],
  forced: ReadonlySet<GroupState>,
): Promise<GroupState[]> {
  const now = r.ctx.clock.now();
  // At their deadline: read before anything else. Woken by an event: after the scan, read only
  // when the group's answer does not already prove the refresh Successful.
  const first = live.filter((s) => urgent(s, now, new Set()));
  const woken = live.filter((s) => forced.has(s) && !first.includes(s));
  const targets: TargetCache = new Map();
  const judging: Promise<void>[] = [];
  try {
    const firstRead = [];
    for (const s of first)
      if (await readRefresh(r, s)) firstRead.push(s);
      else judging.push(unread(r, s));
    const groups = await readGroups(
      r,
      live.map((s) => s.group),
    );
    r.countTargetUsers(groups.values());
    for (const s of firstRead) judging.push(judge(r, s, groups.get(s.group), targets));
    for (const s of live) s.firstGroupVersion ??= groupVersion(groups.get(s.group));
    const others = live.filter((s) => !first.includes(s));
    // Kept until the refresh is read: an instance launched on another version shows in one scan only.
    for (const s of others) s.undecided = undecided(s, groups.get(s.group)) ?? s.undecided;
    for (const s of others) if (switched(s, groups.get(s.group))) inferSucceeded(s, now);
    for (const s of live) s.ending = aboutToEnd(s, groups.get(s.group));
    // Judged without a read: Successful, read or proven by the switch.
    const known = others.filter(
      (s) => checksDecide(s.life) && s.refresh?.Status === 'Successful' && groups.has(s.group),
    );
    await r.describeTogether(known.flatMap((s) => memberIds(s, groups.get(s.group))));
    for (const s of known) {
      s.result.polls++;
      judging.push(judge(r, s, groups.get(s.group), targets));
    }
    const rest = others.filter((s) => !known.includes(s));
    const due = (s: GroupState) => s.nextAt <= now;
    const provable = (s: GroupState) => provableVersion(s) !== undefined;
    // Undecided: read once poll-interval passed since the last read, whatever its pace said.
    const unsure = rest.filter((s) =>
      !checksDecide(s.life) ? due(s) : s.undecided !== undefined && now >= s.readAt + r.o.pollIntervalMs,
    );
    // A refresh with bake time may be Baking once its group converged: read then (once), so the
    // checks run while AWS can still roll it back; without bake time the switch follows at once.
    const bakes = (s: GroupState) => (s.refresh?.Preferences?.BakeTime ?? 0) > 0;
    const finished = rest.filter(
      (s) => !unsure.includes(s) && (!provable(s) || bakes(s)) && looksFinished(s, groups.get(s.group)),
    );
    const byDue = (a: GroupState, b: GroupState) => a.nextAt - b.nextAt;
    const paced = rest
      .filter((s) => due(s) && !unsure.includes(s) && !finished.includes(s) && !provable(s))
      .sort(byDue);
    // Provable groups: read once (its desired configuration and preferences), then rarely.
    const rarely = rest.filter((s) => due(s) && !unsure.includes(s) && provable(s)).sort(byDue);
    const heard = rest.filter((s) => woken.includes(s));
    const reads = [
      ...heard,
      ...[...unsure, ...finished, ...paced, ...rarely]
        .filter((s) => !heard.includes(s))
        .slice(0, r.readsPerRound(live)),
    ];
    for (const s of reads)
      judging.push((await readRefresh(r, s)) ? judge(r, s, groups.get(s.group), targets) : unread(r, s));
    await Promise.all(judging);
    return [...first, ...reads];
  } catch (err) {
    // Every judgement started settles before the round ends, whatever failed first.
    await Promise.allSettled(judging);
    throw err;
  }
}

/** The group's instance ids (and so a judgement's DescribeInstances), when its judgement needs them. */
function memberIds(s: GroupState, g: AutoScalingGroup | undefined): string[] {
  if (!g || !needs(s, g).instances) return [];
  return (g.Instances ?? []).map((i) => i.InstanceId!).filter(Boolean);
}

/** Nothing read this poll; the deadline still holds, whatever AWS answers. */
async function unread(r: RegionRound, s: GroupState): Promise<void> {
  const now = r.ctx.clock.now();
  if (now < s.deadlineAt) return;
  if (s.refresh) await look(s, undefined, now, r.lookContext(now));
  else unreadAtDeadline(s, now, r.lastMiss);
}

/**
 * The deadline passed and the refresh was never read (every DescribeInstanceRefreshes failed):
 * the wait ends timed out, saying it cannot tell what AWS did, rather than polling on.
 */
function unreadAtDeadline(s: GroupState, now: number, lastMiss: string): void {
  const minutes = Math.round((s.deadlineAt - s.result.timeline.watchStart) / 60_000);
  finish(s, {
    status: 'timed-out',
    action: 'none',
    message:
      `timed out after ${minutes} minute(s) (timeout) without reading the refresh once` +
      `${lastMiss ? ` (last error: ${lastMiss})` : ''}; nothing was rolled back: check the group in AWS`,
    at: now,
  });
}

/** Target health read once per round, shared by groups behind the same target group. */
type TargetCache = Map<string, Promise<Soft<TargetHealthDescription[]>>>;

/** What a group's judgement reads beyond the refresh: which parts it needs. */
function needs(s: GroupState, group: AutoScalingGroup | undefined) {
  const status = s.refresh?.Status;
  const checking = Boolean(group) && checksDecide(s.life);
  const verifying = checking && (status === 'Baking' || status === 'Successful');
  // Our refresh back to the previous version, once Successful, is proven from the instances too.
  const reverted = Boolean(group) && s.life.phase === 'reverting' && status === 'Successful';
  return {
    targets: (checking || reverted) && status !== 'Pending',
    instances: verifying || reverted,
    verifying,
  };
}

async function judge(
  r: RegionRound,
  s: GroupState,
  group: AutoScalingGroup | undefined,
  targetCache: TargetCache,
): Promise<void> {
  if (group && checksDecide(s.life) && converged(s, group)) s.life.convergedRead = true;
  if (s.refresh && !s.expectedKnown)
    await r.soft(`resolving the expected AMI of ${s.group}`, () => resolveExpected(r.api, s, group));
  const need = needs(s, group);
  const members = group?.Instances ?? [];
  // Refreshes replace warm-pool instances too: verified with the live ones (aws/warm-pool.ts).
  const warm =
    need.instances && group && hasWarmPool(group)
      ? await r.soft(`describing the warm pool of ${s.group}`, () => r.api.warmPool(r.region, s.group))
      : [];
  const ids = need.instances
    ? [...members, ...(warm === MISSED ? [] : warm)].map((i) => i.InstanceId!).filter(Boolean)
    : [];
  const read = ids.length ? await r.instancesOf(ids) : new Map<string, Instance>();
  const instancesOk = read !== MISSED && warm !== MISSED;
  const instances = instancesOk ? read : new Map<string, Instance>();
  const byAutoScaling =
    need.verifying && group && instancesOk
      ? targetsByAutoScaling(group, instances, r.targetUsers, r.ctx.clock.now())
      : false;
  const targets = new Map<string, TargetHealthDescription[]>();
  let targetsOk = true;
  for (const arn of need.targets && !byAutoScaling ? targetGroupArns(group) : []) {
    let t = targetCache.get(arn);
    if (!t) {
      t = r.soft(`describing target health of ${arn}`, () => r.api.targetHealth(r.region, arn));
      targetCache.set(arn, t);
    }
    const got = await t;
    if (got === MISSED) targetsOk = false;
    else targets.set(arn, got);
  }
  const http =
    r.o.healthUrl && instancesOk && need.verifying ? await httpChecks(r, members, instances) : new Map();
  const now = r.ctx.clock.now();
  // A snapshot is only complete when every part of it was read; otherwise judge status alone.
  const snapshot: Snapshot | undefined =
    group && targetsOk && (!need.instances || instancesOk)
      ? {
          group,
          instances,
          targets,
          ...(byAutoScaling ? { targetsFrom: 'auto-scaling' as const } : {}),
          http: r.o.healthUrl ? http : undefined,
          ...(warm !== MISSED ? { warm } : {}),
        }
      : undefined;
  if (!snapshot && group) s.result.groupVersion = groupVersion(group);
  // Proven Successful by the switch but not healthy: read the refresh once, so a failure (and a
  // refresh back, which takes its preferences and desired configuration) rests on what AWS says.
  if (
    snapshot &&
    s.statusFrom === 'desired-configuration' &&
    checksDecide(s.life) &&
    !s.life.confirmed &&
    !verify(snapshot, s.expected, Boolean(r.o.healthUrl)).ok
  ) {
    s.life.confirmed = true;
    await readRefresh(r, s, true);
  }
  await look(s, snapshot, now, r.lookContext(now));
}

/**
 * Whether the group's targets are proven by Auto Scaling's own ELB health check, read in the same
 * DescribeAutoScalingGroups answer, rather than by DescribeTargetHealth: the group's health check
 * type includes ELB ("checks whether the load balancer reports the instance as healthy"), every
 * InService instance is Healthy and has been running longer than the health check grace period
 * (before it ends Auto Scaling does not check), and no other watched group shares the target group
 * (one DescribeTargetHealth then serves them all).
 */
export function targetsByAutoScaling(
  g: AutoScalingGroup,
  instances: ReadonlyMap<string, Instance>,
  users: ReadonlyMap<string, number>,
  now: number,
): boolean {
  const arns = targetGroupArns(g);
  if (!arns.length || !/ELB/.test(g.HealthCheckType ?? '')) return false;
  if (arns.some((a) => (users.get(a) ?? 0) > 1)) return false;
  const graceMs = (g.HealthCheckGracePeriod ?? 0) * 1000;
  const serving = (g.Instances ?? []).filter((i) => i.LifecycleState === 'InService');
  return (
    serving.length > 0 &&
    serving.every((i) => {
      const launched = instances.get(i.InstanceId ?? '')?.LaunchTime?.getTime();
      return i.HealthStatus === 'Healthy' && launched !== undefined && launched + graceMs <= now;
    })
  );
}

async function httpChecks(
  r: RegionRound,
  members: NonNullable<AutoScalingGroup['Instances']>,
  instances: ReadonlyMap<string, Instance>,
): Promise<Map<string, HttpCheck>> {
  const o = r.o;
  return checkInstances(
    members
      .filter((m) => m.LifecycleState === 'InService')
      .map((m) => instances.get(m.InstanceId!))
      .filter((i): i is Instance => Boolean(i))
      .map((i) => ({
        instanceId: i.InstanceId!,
        privateIp: i.PrivateIpAddress,
        privateDns: i.PrivateDnsName,
      })),
    {
      template: o.healthUrl!,
      expectedVersion: o.expectedVersion,
      timeoutMs: o.healthUrlTimeoutMs,
      fetch: o.fetch,
      signal: r.ctx.signal,
    },
  );
}

/** The version and AMI the refresh deploys: its desired configuration, else the group's own template. */
async function resolveExpected(
  api: HealthApi,
  s: GroupState,
  group: AutoScalingGroup | undefined,
): Promise<void> {
  const spec = launchTemplateOf(s.refresh?.DesiredConfiguration) ?? launchTemplateOf(group);
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
