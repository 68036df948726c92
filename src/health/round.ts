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
import { hasWarmPool } from '../aws/warm-pool.js';
import type { HealthApi } from './aws-calls.js';
import type { ResolvedOptions } from './defaults.js';
import { groupVersion, look, type LookContext } from './group-watch.js';
import type { GroupState } from './group-state.js';
import { checkInstances, type HttpCheck } from './http-check.js';
import { finish } from './lifecycle.js';
import { targetGroupArns } from './traffic-sources.js';
import type { Snapshot } from './verify.js';

export const MISSED = Symbol('missed');
type Soft<T> = T | typeof MISSED;

/** What every round of one region shares. */
export class RegionRound {
  /** The last transient error, for the timed-out message of a refresh never read. */
  lastMiss = '';

  constructor(
    readonly ctx: ActionContext,
    readonly api: HealthApi,
    readonly region: string,
    readonly o: ResolvedOptions,
  ) {}

  /** A transient fault delays one poll (MISSED); anything else (permissions, a deleted group) ends the wait. */
  async soft<T>(what: string, fn: () => Promise<T>): Promise<Soft<T>> {
    try {
      return await fn();
    } catch (err) {
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

  /**
   * How many refreshes one round reads besides the urgent ones: what the budget allows in one
   * poll interval after the group scan, so a busy region still scans once per interval.
   */
  readsPerRound(live: number): number {
    const budget = Math.floor((this.o.pollIntervalMs / 1000) * this.o.maxRequestsPerSecond);
    return Math.max(1, budget - Math.ceil(live / 100));
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

/**
 * Whether the group, as DescribeAutoScalingGroups shows it, is worth a DescribeInstanceRefreshes
 * now rather than at its paced time: its refresh was last read Successful (checks still pending);
 * or, when the refresh moves the group to a new version, the group took that version as its own
 * (AWS applies a desired configuration only "once the instance refresh succeeds"); otherwise it
 * converged since its refresh was last read.
 */
function looksFinished(s: GroupState, g: AutoScalingGroup | undefined): boolean {
  if (!g || s.life.phase !== 'watching') return false;
  if (s.refresh?.Status === 'Successful') return true;
  const want = s.expected.version;
  const before = s.result.previousVersion ?? s.firstGroupVersion;
  if (want !== undefined && desiredVersion(s.refresh) === want && before !== undefined && before !== want)
    return groupVersion(g) === want;
  return !s.life.convergedRead && converged(s, g);
}

/** A Successful refresh stays Successful: while its checks are pending it is not read again. */
const needsRead = (s: GroupState) => !(s.life.phase === 'watching' && s.refresh?.Status === 'Successful');

/** Groups by name (100 per call); none after a transient fault (each group is then judged unread). */
async function readGroups(r: RegionRound, names: string[]): Promise<Map<string, AutoScalingGroup>> {
  if (!names.length) return new Map();
  const groups = await r.soft('describing the groups', () => r.api.groupsByName(r.region, names));
  if (groups === MISSED) return new Map();
  return new Map(groups.filter((g) => g.AutoScalingGroupName).map((g) => [g.AutoScalingGroupName!, g]));
}

/** Reads the group's refresh (unless it is known Successful); false when the read missed. */
async function readRefresh(r: RegionRound, s: GroupState): Promise<boolean> {
  s.result.polls++;
  if (!needsRead(s)) return true;
  const refresh = await r.soft(`describing the refresh of ${s.group}`, () =>
    r.api.refresh(r.region, s.group, s.refreshId),
  );
  if (refresh === MISSED) return false;
  s.refresh = refresh;
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
 * One round over the region's live groups. First the urgent refreshes, then one
 * DescribeAutoScalingGroups per 100 live groups, then — as many as the budget allows in one poll
 * interval — the refreshes of the groups that look finished in it, then those due at their pace,
 * earliest first (the others stay due for the next round). One after another within the budget;
 * each group is judged (targets, instances, health-url, verdict) while the next refresh is read.
 * Returns the groups whose refresh was read (or tried).
 */
export async function pollRound(
  r: RegionRound,
  live: readonly GroupState[],
  forced: ReadonlySet<GroupState>,
): Promise<GroupState[]> {
  const now = r.ctx.clock.now();
  const first = live.filter((s) => urgent(s, now, forced));
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
    for (const s of firstRead) judging.push(judge(r, s, groups.get(s.group), targets));
    for (const s of live) s.firstGroupVersion ??= groupVersion(groups.get(s.group));
    const others = live.filter((s) => !first.includes(s));
    const finished = others.filter((s) => looksFinished(s, groups.get(s.group)));
    const paced = others
      .filter((s) => s.nextAt <= now && !finished.includes(s))
      .sort((a, b) => a.nextAt - b.nextAt);
    const rest = [...finished, ...paced].slice(0, r.readsPerRound(live.length));
    for (const s of rest)
      judging.push((await readRefresh(r, s)) ? judge(r, s, groups.get(s.group), targets) : unread(r, s));
    await Promise.all(judging);
    return [...first, ...rest];
  } catch (err) {
    // Every judgement started settles before the round ends, whatever failed first.
    await Promise.allSettled(judging);
    throw err;
  }
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
      `timed out after ${minutes} minute(s) (timeout-minutes) without reading the refresh once` +
      `${lastMiss ? ` (last error: ${lastMiss})` : ''}; nothing was rolled back: check the group in AWS`,
    at: now,
  });
}

/** Target health read once per round, shared by groups behind the same target group. */
type TargetCache = Map<string, Promise<Soft<TargetHealthDescription[]>>>;

/** What a group's judgement reads beyond the refresh: which parts it needs. */
function needs(s: GroupState, group: AutoScalingGroup | undefined) {
  const status = s.refresh?.Status;
  const watching = Boolean(group) && s.life.phase === 'watching';
  const verifying = watching && (status === 'Baking' || status === 'Successful');
  // Our refresh back to the previous version, once Successful, is proven from the instances too.
  const reverted = Boolean(group) && s.life.phase === 'reverting' && status === 'Successful';
  return {
    targets: (watching || reverted) && status !== 'Pending',
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
  if (group && s.life.phase === 'watching' && converged(s, group)) s.life.convergedRead = true;
  if (s.refresh && !s.expectedKnown)
    await r.soft(`resolving the expected AMI of ${s.group}`, () => resolveExpected(r.api, s, group));
  const need = needs(s, group);
  const targets = new Map<string, TargetHealthDescription[]>();
  let targetsOk = true;
  for (const arn of need.targets ? targetGroupArns(group) : []) {
    let t = targetCache.get(arn);
    if (!t) {
      t = r.soft(`describing target health of ${arn}`, () => r.api.targetHealth(r.region, arn));
      targetCache.set(arn, t);
    }
    const got = await t;
    if (got === MISSED) targetsOk = false;
    else targets.set(arn, got);
  }
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
          http: r.o.healthUrl ? http : undefined,
          ...(warm !== MISSED ? { warm } : {}),
        }
      : undefined;
  if (!snapshot && group) s.result.groupVersion = groupVersion(group);
  await look(s, snapshot, now, r.lookContext(now));
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
