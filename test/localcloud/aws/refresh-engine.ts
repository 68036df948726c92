// The instance refresh engine: replaces a group's instances in batches bounded by the minimum and
// maximum healthy percentages, waits for health and warmup, pauses at checkpoints, bakes, and on
// failure rolls back when it may. Advanced by `stepRefresh` on every tick of the world clock.
import { randomUUID } from 'node:crypto';
import {
  activeRefresh,
  isReady,
  launchInto,
  launchRefOf,
  liveInstances,
  matches,
  memberInstances,
  resolveConfig,
  terminateFromGroup,
} from './autoscaling-fleet.js';
import type { AsgRegion } from './autoscaling-state.js';
import type {
  AutoScalingGroup,
  GroupInstance,
  InstanceRefresh,
  LaunchConfig,
  RefreshPhase,
  RefreshPreferences,
  RefreshProgress,
  ReplacementJob,
  ResolvedLaunch,
} from './autoscaling-types.js';
import { validatePreferences, withDefaults } from './refresh-preferences.js';
import { settled, terminateWarm, warmInstances, warmPoolTarget } from './autoscaling-warm-pool.js';
import { AwsError } from './service.js';

export interface StartRefreshInput {
  Strategy?: string;
  DesiredConfiguration?: LaunchConfig;
  Preferences?: RefreshPreferences;
}

/** Seconds protected (or Standby) instances may hold up a refresh under ScaleInProtectedInstances (StandbyInstances) Wait. */
const PROTECTED_WAIT_SECONDS = 3600;

export function startRefresh(
  region: AsgRegion,
  group: AutoScalingGroup,
  input: StartRefreshInput,
): InstanceRefresh {
  if (input.Strategy !== undefined && input.Strategy !== 'Rolling') {
    throw new AwsError(
      'ValidationError',
      `Strategy ${input.Strategy} is not supported. Valid value: Rolling.`,
    );
  }
  if (activeRefresh(region, group.name)) {
    throw new AwsError(
      'InstanceRefreshInProgress',
      'An Instance Refresh is already in progress and blocks the execution of this Instance Refresh.',
    );
  }
  const desired = normalizeDesired(input.DesiredConfiguration);
  validatePreferences(input.Preferences ?? {}, desired !== undefined);
  if (desired) resolveConfig(region, desired); // rejects unknown templates and versions up front
  const refresh: InstanceRefresh = {
    id: randomUUID(),
    groupName: group.name,
    status: 'Pending',
    startTime: region.platform.now(),
    strategy: 'Rolling',
    preferences: withDefaults(input.Preferences ?? {}, group.instanceMaintenancePolicy),
    ...(desired ? { desiredConfiguration: desired } : {}),
    previousConfiguration: structuredClone(group.config),
    progress: { percentageComplete: 0, instancesToUpdate: 0 },
    checkpointIndex: 0,
  };
  refuseImpossibleAutoRollback(region, refresh);
  region.refreshesOf(group.name).push(refresh);
  return refresh;
}

function normalizeDesired(d: LaunchConfig | undefined): LaunchConfig | undefined {
  if (!d || (!d.LaunchTemplate && !d.MixedInstancesPolicy)) return undefined;
  return structuredClone(d);
}

/**
 * "The rollback option is not available if the Auto Scaling group is configured to use the $Latest
 * or $Default launch template version" (user guide): by default StartInstanceRefresh refuses
 * AutoRollback there; under the `fail-later` reading the refresh starts and fails without rollback.
 */
function refuseImpossibleAutoRollback(region: AsgRegion, refresh: InstanceRefresh): void {
  if (!refresh.preferences.AutoRollback || region.readings.impossibleAutoRollback !== 'refuse-at-start')
    return;
  const blocker = rollbackBlocker(region, refresh);
  if (blocker)
    throw new AwsError(
      'ValidationError',
      `The request isn't valid. AutoRollback is not available for this instance refresh: ${blocker} ` +
        'Set AutoRollback to false, or use a numbered launch template version, and try again.',
    );
}

/** "Cancels an instance refresh or rollback that is in progress" (CancelInstanceRefresh). */
export function cancelRefresh(region: AsgRegion, group: AutoScalingGroup): InstanceRefresh {
  const refresh = activeRefresh(region, group.name);
  if (!refresh) {
    throw new AwsError('ActiveInstanceRefreshNotFound', 'No in progress or pending Instance Refresh found.');
  }
  if (refresh.status !== 'Cancelling') {
    refresh.status = 'Cancelling';
    refresh.statusReason = 'The instance refresh is being cancelled.';
  }
  return refresh;
}

export function rollbackRefresh(region: AsgRegion, group: AutoScalingGroup): InstanceRefresh {
  const refresh = activeRefresh(region, group.name);
  if (!refresh || refresh.status === 'RollbackInProgress') {
    throw new AwsError('ActiveInstanceRefreshNotFound', 'No in progress or pending Instance Refresh found.');
  }
  const blocker = rollbackBlocker(region, refresh);
  if (blocker)
    throw new AwsError(
      'IrreversibleInstanceRefresh',
      `The instance refresh can't be rolled back: ${blocker}`,
    );
  beginRollback(region, group, refresh, 'Rollback started by the user (RollbackInstanceRefresh).');
  return refresh;
}

function refreshCause(region: AsgRegion, refresh: InstanceRefresh): string {
  const at = new Date(region.platform.now()).toISOString();
  return `At ${at} an instance was taken out of service in response to instance refresh ${refresh.id}.`;
}

const floating = (version: string | undefined): boolean =>
  version === undefined || version === '$Latest' || version === '$Default';

/** Why a rollback is impossible (the AWS restrictions), or undefined when it is allowed. */
export function rollbackBlocker(region: AsgRegion, refresh: InstanceRefresh): string | undefined {
  if (!refresh.desiredConfiguration) return 'the instance refresh has no desired configuration.';
  const previous = launchRefOf(refresh.previousConfiguration);
  if (!previous) return 'the Auto Scaling group does not use a launch template.';
  for (const ref of [previous, launchRefOf(refresh.desiredConfiguration)]) {
    if (ref && floating(ref.Version)) {
      return 'the Auto Scaling group uses the $Latest or $Default version of its launch template.';
    }
  }
  for (const config of [refresh.previousConfiguration, refresh.desiredConfiguration]) {
    let launch: ResolvedLaunch | undefined;
    try {
      launch = resolveConfig(region, config);
    } catch {
      return 'the launch template version no longer exists.';
    }
    if (launch?.imageFromSsm)
      return 'the launch template takes its ImageId from a Systems Manager parameter.';
  }
  return undefined;
}

function beginRollback(
  region: AsgRegion,
  group: AutoScalingGroup,
  refresh: InstanceRefresh,
  reason: string,
): void {
  const now = region.platform.now();
  refresh.rollback = {
    reason,
    startTime: now,
    onRollback: { ...refresh.progress },
    progress: { percentageComplete: 0, instancesToUpdate: 0 },
  };
  setStatus(region, refresh, 'RollbackInProgress');
  delete refresh.checkpointUntil;
  delete refresh.bakeUntil;
  beginPhase(region, group, refresh, 'rollback', refresh.previousConfiguration);
}

function beginPhase(
  region: AsgRegion,
  group: AutoScalingGroup,
  refresh: InstanceRefresh,
  kind: RefreshPhase['kind'],
  target: LaunchConfig,
): void {
  const launch = resolveConfig(region, target);
  const replaceMatching = kind === 'forward' && !refresh.preferences.SkipMatching;
  const phase: RefreshPhase = {
    kind,
    target,
    startedAt: region.platform.now(),
    toReplace: new Set(),
    skipped: new Set(),
    launched: new Set(),
    total: group.desired,
    warmToReplace: new Set(),
    warmTotal: 0,
    standbyWait: new Set(),
    jobs: [],
    failures: 0,
  };
  for (const inst of liveInstances(group)) {
    if (inst.protectedFromScaleIn && refresh.preferences.ScaleInProtectedInstances !== 'Refresh') continue;
    if (!replaceMatching && launch && matches(inst, launch)) phase.skipped.add(inst.instanceId);
    else phase.toReplace.add(inst.instanceId);
  }
  // StandbyInstances: Terminate ends them now, Wait replaces them once back in service, Ignore leaves them.
  for (const inst of memberInstances(group)) {
    if (inst.lifecycle !== 'Standby' || (!replaceMatching && launch && matches(inst, launch))) continue;
    const mode = refresh.preferences.StandbyInstances ?? 'Wait';
    if (mode === 'Terminate')
      terminateFromGroup(region, group, inst.instanceId, refreshCause(region, refresh));
    else if (mode === 'Wait') phase.standbyWait.add(inst.instanceId);
  }
  // The warm pool is replaced too (InstanceRefreshWarmPoolProgress), after the live pool.
  for (const inst of warmInstances(group)) {
    phase.warmTotal++;
    if (replaceMatching || !launch || !matches(inst, launch)) phase.warmToReplace.add(inst.instanceId);
  }
  refresh.phase = phase;
}

function warmupMs(region: AsgRegion, group: AutoScalingGroup, refresh: InstanceRefresh): number {
  const seconds =
    refresh.preferences.InstanceWarmup ?? group.defaultInstanceWarmup ?? group.healthCheckGracePeriod;
  return seconds * region.timings.secondMs;
}

interface Bounds {
  minHealthy: number;
  maxCapacity: number;
}

/** Capacity bounds for a batch, from the percentages of the desired capacity. */
export function batchBounds(desired: number, minPct: number, maxPct: number): Bounds {
  let minHealthy = Math.ceil((desired * minPct) / 100);
  let maxCapacity = desired;
  if (maxPct > 100) maxCapacity = Math.max(desired + 1, Math.floor((desired * maxPct) / 100));
  // Without room above the desired capacity, AWS still replaces one instance at a time.
  else if (desired > 0 && minHealthy >= desired) minHealthy = desired - 1;
  return { minHealthy, maxCapacity };
}

/** A warm instance counts once it was launched for the target and reached the pool's state. */
function warmProgress(
  group: AutoScalingGroup,
  phase: RefreshPhase,
  launch: ResolvedLaunch | undefined,
): { percentageComplete: number; instancesToUpdate: number } {
  const total = Math.min(phase.warmTotal, warmPoolTarget(group));
  let updated = 0;
  for (const inst of warmInstances(group))
    if (!phase.warmToReplace.has(inst.instanceId) && settled(inst) && launch && matches(inst, launch))
      updated++;
  updated = Math.min(updated, total);
  if (total === 0) return { percentageComplete: 100, instancesToUpdate: 0 };
  return { percentageComplete: Math.floor((100 * updated) / total), instancesToUpdate: total - updated };
}

function progressOf(
  region: AsgRegion,
  group: AutoScalingGroup,
  refresh: InstanceRefresh,
  launch?: ResolvedLaunch,
): RefreshProgress {
  const phase = refresh.phase;
  if (!phase) return { percentageComplete: 0, instancesToUpdate: 0 };
  const live = liveProgress(region, group, refresh, phase);
  if (!group.warmPool && phase.warmTotal === 0) return live;
  const warmPool = warmProgress(group, phase, launch);
  // The headline counts both pools (docs silent): the refresh is not done while the warm pool is stale.
  const total = phase.total + Math.min(phase.warmTotal, warmPoolTarget(group));
  const left = live.instancesToUpdate + warmPool.instancesToUpdate;
  return {
    percentageComplete: total === 0 ? 100 : Math.floor((100 * (total - left)) / total),
    instancesToUpdate: left,
    livePool: { percentageComplete: live.percentageComplete, instancesToUpdate: live.instancesToUpdate },
    warmPool,
  };
}

function liveProgress(
  region: AsgRegion,
  group: AutoScalingGroup,
  refresh: InstanceRefresh,
  phase: RefreshPhase,
): RefreshProgress {
  const warm = warmupMs(region, group, refresh);
  let updated = 0;
  for (const inst of liveInstances(group)) {
    const counted = phase.launched.has(inst.instanceId) || phase.skipped.has(inst.instanceId);
    if (counted && !phase.toReplace.has(inst.instanceId) && isReady(region, inst, warm)) updated++;
  }
  const total = Math.max(phase.total, 0);
  if (total === 0) return { percentageComplete: 100, instancesToUpdate: 0 };
  updated = Math.min(updated, total);
  return {
    percentageComplete: Math.floor((100 * updated) / total),
    instancesToUpdate: total - updated,
  };
}

function setProgress(refresh: InstanceRefresh, progress: RefreshProgress): void {
  if (refresh.rollback) refresh.rollback.progress = progress;
  else refresh.progress = progress;
}

/**
 * The EventBridge detail-type Auto Scaling sends when a refresh reaches each status ("EC2 Auto
 * Scaling Instance Refresh Succeeded", …); see FIDELITY.md, EventBridge.
 */
const EVENT_OF: Partial<Record<InstanceRefresh['status'], string>> = {
  InProgress: 'Started',
  Successful: 'Succeeded',
  Failed: 'Failed',
  Cancelled: 'Cancelled',
  RollbackInProgress: 'Rollback Started',
  RollbackSuccessful: 'Rollback Succeeded',
  RollbackFailed: 'Rollback Failed',
  Baking: 'Started Baking',
};

function announce(
  region: AsgRegion,
  refresh: InstanceRefresh,
  what: string,
  extra: Record<string, string> = {},
): void {
  const group = region.groups.get(refresh.groupName);
  if (!group) return;
  region.platform.emit?.(group, `EC2 Auto Scaling Instance Refresh ${what}`, {
    InstanceRefreshId: refresh.id,
    AutoScalingGroupName: refresh.groupName,
    ...extra,
  });
}

function setStatus(region: AsgRegion, refresh: InstanceRefresh, status: InstanceRefresh['status']): void {
  if (refresh.status === status) return;
  refresh.status = status;
  const what = EVENT_OF[status];
  if (what) announce(region, refresh, what);
}

function finish(
  region: AsgRegion,
  refresh: InstanceRefresh,
  status: InstanceRefresh['status'],
  reason?: string,
): void {
  setStatus(region, refresh, status);
  refresh.endTime = region.platform.now();
  delete refresh.checkpointUntil;
  delete refresh.bakeUntil;
  if (reason !== undefined) refresh.statusReason = reason;
  else delete refresh.statusReason;
}

function succeed(region: AsgRegion, group: AutoScalingGroup, refresh: InstanceRefresh): void {
  const desired = refresh.desiredConfiguration;
  if (desired?.LaunchTemplate) group.config = { LaunchTemplate: structuredClone(desired.LaunchTemplate) };
  else if (desired?.MixedInstancesPolicy) {
    group.config = { MixedInstancesPolicy: structuredClone(desired.MixedInstancesPolicy) };
  }
  refresh.progress = { percentageComplete: 100, instancesToUpdate: 0 };
  finish(region, refresh, 'Successful');
}

/** Forward failure: roll back when AutoRollback allows it, else stop as Failed. */
function fail(region: AsgRegion, group: AutoScalingGroup, refresh: InstanceRefresh, reason: string): void {
  if (refresh.phase?.kind === 'rollback') {
    finish(region, refresh, 'RollbackFailed', reason);
    return;
  }
  if (refresh.preferences.AutoRollback) {
    const blocker = rollbackBlocker(region, refresh);
    if (!blocker) {
      refresh.statusReason = reason;
      beginRollback(region, group, refresh, reason);
      return;
    }
    finish(region, refresh, 'Failed', `${reason} Auto rollback isn't possible: ${blocker}`);
    return;
  }
  finish(region, refresh, 'Failed', reason);
}

function alarmInAlarm(region: AsgRegion, refresh: InstanceRefresh): string | undefined {
  return refresh.preferences.AlarmSpecification?.Alarms?.find((name) => region.alarms.get(name) === 'ALARM');
}

/** With a `$Latest`/`$Default` target, a new template version makes replaced instances stale again. */
function trackFloatingTarget(group: AutoScalingGroup, phase: RefreshPhase, launch: ResolvedLaunch): void {
  if (!floating(launchRefOf(phase.target)?.Version)) return;
  for (const inst of liveInstances(group)) {
    if (phase.toReplace.has(inst.instanceId) || matches(inst, launch)) continue;
    if (phase.jobs.some((j) => j.newId === inst.instanceId && !j.done)) continue;
    phase.toReplace.add(inst.instanceId);
    phase.skipped.delete(inst.instanceId);
    phase.launched.delete(inst.instanceId);
  }
}

function failureReason(phase: RefreshPhase): string {
  if (phase.lastLaunchError) {
    return `Launching replacement instances failed ${phase.failures} times: ${phase.lastLaunchError}`;
  }
  return `${phase.failures} replacement instances failed their health checks; the instance refresh could not make progress.`;
}

/** What one step of a phase replaces with, within which bounds. */
interface ReplacementStep {
  region: AsgRegion;
  group: AutoScalingGroup;
  refresh: InstanceRefresh;
  phase: RefreshPhase;
  launch: ResolvedLaunch;
  bounds: Bounds;
}

/** Advances the jobs already started; returns a failure reason when replacements keep failing. */
function advanceJobs(step: ReplacementStep, relaunch: boolean): string | undefined {
  const { region, group, refresh, phase, launch, bounds } = step;
  const warm = warmupMs(region, group, refresh);
  for (const job of phase.jobs) {
    if (job.done) continue;
    const fresh: GroupInstance | undefined = job.newId ? group.instances.get(job.newId) : undefined;
    if (job.newId && (!fresh || fresh.lifecycle === 'Terminating' || fresh.health === 'Unhealthy')) {
      phase.failures++;
      terminateFromGroup(region, group, job.newId);
      delete job.newId;
      if (phase.failures >= region.timings.maxReplacementFailures) return failureReason(phase);
    } else if (fresh && isReady(region, fresh, warm)) {
      if (!job.oldTerminated) terminateFromGroup(region, group, job.oldId, refreshCause(region, refresh));
      job.oldTerminated = true;
      job.done = true;
      phase.toReplace.delete(job.oldId);
      continue;
    }
    if (!job.newId && relaunch) {
      const capacity = liveInstances(group).length;
      if (job.oldTerminated || capacity < bounds.maxCapacity)
        launchFor(region, group, refresh, phase, launch, job);
    }
  }
  if (!relaunch) phase.jobs = phase.jobs.filter((j) => j.done || j.newId !== undefined);
  return phase.failures >= region.timings.maxReplacementFailures ? failureReason(phase) : undefined;
}

function launchFor(
  region: AsgRegion,
  group: AutoScalingGroup,
  refresh: InstanceRefresh,
  phase: RefreshPhase,
  launch: ResolvedLaunch,
  job: ReplacementJob,
): void {
  const inst = launchInto(region, group, launch, refresh.id);
  if (!inst) {
    phase.failures++;
    phase.lastLaunchError = group.lastLaunchError ?? 'EC2 refused the launch.';
    return;
  }
  job.newId = inst.instanceId;
  phase.launched.add(inst.instanceId);
}

/** Starts new jobs while the healthy floor, the capacity ceiling and the current checkpoint allow. */
function startJobs(step: ReplacementStep, allowance: number): void {
  const { region, group, refresh, phase, launch, bounds } = step;
  const warm = warmupMs(region, group, refresh);
  const inJob = new Set(phase.jobs.map((j) => j.oldId));
  // Unhealthy and not-yet-ready instances go first (replacing them costs no healthy capacity), then the oldest.
  const candidates = liveInstances(group)
    .filter((i) => phase.toReplace.has(i.instanceId) && !inJob.has(i.instanceId))
    .sort(
      (a, b) =>
        Number(isReady(region, a, warm)) - Number(isReady(region, b, warm)) || a.launchedAt - b.launchedAt,
    );
  let started = phase.jobs.filter((j) => !j.done).length;
  for (const old of candidates) {
    if (started >= allowance) break;
    const live = liveInstances(group);
    const ready = live.filter((i) => isReady(region, i, warm)).length;
    const job: ReplacementJob = { oldId: old.instanceId, oldTerminated: false, done: false };
    if (live.length < bounds.maxCapacity) {
      // Room above the desired capacity: launch first, terminate once the new one is ready.
    } else if (ready - (isReady(region, old, warm) ? 1 : 0) >= bounds.minHealthy) {
      terminateFromGroup(region, group, old.instanceId, refreshCause(region, refresh));
      job.oldTerminated = true;
    } else break;
    phase.jobs.push(job);
    launchFor(region, group, refresh, phase, launch, job);
    started++;
  }
}

/** A waited-for Standby instance back in service is replaced like the others; one gone is forgotten. */
function followStandby(group: AutoScalingGroup, phase: RefreshPhase): void {
  for (const id of phase.standbyWait) {
    const inst = group.instances.get(id);
    if (inst?.lifecycle === 'Standby') continue;
    phase.standbyWait.delete(id);
    // Back in service it counts in the desired capacity again, so in the total the refresh paces.
    if (inst && inst.lifecycle !== 'Terminating') {
      phase.toReplace.add(id);
      phase.total++;
    }
  }
}

/** Instances of the group that nothing replaces and that failed: replaced from the phase target. */
function replaceStrayUnhealthy(
  region: AsgRegion,
  group: AutoScalingGroup,
  refresh: InstanceRefresh,
  phase: RefreshPhase,
  launch: ResolvedLaunch,
): void {
  const tracked = new Set(phase.jobs.flatMap((j) => (j.newId ? [j.oldId, j.newId] : [j.oldId])));
  for (const inst of liveInstances(group)) {
    if (inst.health !== 'Unhealthy' || tracked.has(inst.instanceId) || phase.toReplace.has(inst.instanceId))
      continue;
    terminateFromGroup(region, group, inst.instanceId);
    const fresh = launchInto(region, group, launch, refresh.id);
    if (fresh) phase.launched.add(fresh.instanceId);
  }
}

function checkpointTarget(refresh: InstanceRefresh, total: number): { percent: number; count: number } {
  const cps = refresh.preferences.CheckpointPercentages ?? [];
  const percent = refresh.phase?.kind === 'forward' ? (cps[refresh.checkpointIndex] ?? 100) : 100;
  return { percent, count: Math.ceil((total * percent) / 100) };
}

type Progress = ReturnType<typeof progressOf>;

/** Begins a pending refresh's forward phase; false when it failed at once. */
function begin(region: AsgRegion, group: AutoScalingGroup, refresh: InstanceRefresh): boolean {
  if (refresh.status !== 'Pending') return true;
  setStatus(region, refresh, 'InProgress');
  try {
    beginPhase(region, group, refresh, 'forward', refresh.desiredConfiguration ?? group.config);
    return true;
  } catch (err) {
    finish(region, refresh, 'Failed', err instanceof Error ? err.message : String(err));
    return false;
  }
}

/** An alarm in ALARM fails the refresh; a baking one only waits out its bake time. True: step over. */
function alarmedOrBaking(
  region: AsgRegion,
  group: AutoScalingGroup,
  refresh: InstanceRefresh,
  now: number,
): boolean {
  if (refresh.status === 'InProgress' || refresh.status === 'Baking') {
    const alarm = alarmInAlarm(region, refresh);
    if (alarm) {
      fail(
        region,
        group,
        refresh,
        `The instance refresh failed because CloudWatch alarm ${alarm} is in ALARM state.`,
      );
      return true;
    }
  }
  if (refresh.status !== 'Baking') return false;
  if (refresh.bakeUntil !== undefined && now >= refresh.bakeUntil) succeed(region, group, refresh);
  return true;
}

/** The launch the phase's target describes; the refresh fails when there is none. */
function phaseLaunch(
  region: AsgRegion,
  group: AutoScalingGroup,
  refresh: InstanceRefresh,
  phase: RefreshPhase,
): ResolvedLaunch | undefined {
  let launch: ResolvedLaunch | undefined;
  try {
    launch = resolveConfig(region, phase.target);
  } catch (err) {
    fail(region, group, refresh, err instanceof Error ? err.message : String(err));
    return undefined;
  }
  if (!launch) fail(region, group, refresh, 'The desired configuration does not name a launch template.');
  return launch;
}

/**
 * Checkpoints: waits out a reached one, or stops at the next. Undefined while waiting; otherwise how
 * many more instances may start replacing before the next checkpoint.
 */
function checkpointRoom(
  region: AsgRegion,
  group: AutoScalingGroup,
  refresh: InstanceRefresh,
  phase: RefreshPhase,
  progress: Progress,
  now: number,
): number | undefined {
  const prefs = refresh.preferences;
  const cps = prefs.CheckpointPercentages ?? [];
  if (refresh.checkpointUntil !== undefined) {
    if (now < refresh.checkpointUntil) return undefined;
    delete refresh.checkpointUntil;
    delete refresh.statusReason;
    refresh.checkpointIndex++;
    // A last checkpoint below 100% ends the refresh there once its delay has passed.
    if (refresh.checkpointIndex >= cps.length && (cps.at(-1) ?? 100) < 100) {
      completePhase(region, group, refresh, now);
      return undefined;
    }
  }
  const checkpoint = checkpointTarget(refresh, phase.total);
  const updated = phase.total - (progress.livePool ?? progress).instancesToUpdate;
  if (phase.kind !== 'forward' || checkpoint.percent >= 100 || updated < checkpoint.count)
    return Math.max(0, checkpoint.count - updated);
  const delaySeconds = prefs.CheckpointDelay ?? 3600;
  refresh.checkpointUntil = now + delaySeconds * region.timings.secondMs;
  announce(region, refresh, 'Checkpoint Reached', {
    CheckpointPercentage: String(checkpoint.percent),
    CheckpointDelay: String(delaySeconds),
  });
  refresh.statusReason =
    `Checkpoint ${refresh.checkpointIndex + 1} of ${cps.length} reached: ${checkpoint.percent}% of the ` +
    `instances are updated. Waiting ${delaySeconds} seconds (CheckpointDelay) before continuing.`;
  return undefined;
}

/**
 * Once every replacement is done and warmed up: the warm pool's stale instances go and the phase
 * completes. Protected or Standby instances the refresh must wait for fail it after an hour.
 */
function completeWhenReplaced(
  region: AsgRegion,
  group: AutoScalingGroup,
  refresh: InstanceRefresh,
  phase: RefreshPhase,
  launch: ResolvedLaunch,
  progress: Progress,
  now: number,
): void {
  const waitingProtected = liveInstances(group).some(
    (i) =>
      i.protectedFromScaleIn &&
      refresh.preferences.ScaleInProtectedInstances === 'Wait' &&
      !matches(i, launch),
  );
  const allDone = phase.toReplace.size === 0 && phase.jobs.every((j) => j.done);
  if (allDone && (waitingProtected || phase.standbyWait.size > 0)) {
    if (now - phase.startedAt >= PROTECTED_WAIT_SECONDS * region.timings.secondMs) {
      fail(
        region,
        group,
        refresh,
        waitingProtected
          ? 'Instances protected from scale in blocked the instance refresh for one hour.'
          : 'Instances in Standby blocked the instance refresh for one hour.',
      );
    }
    return;
  }
  const warm = warmupMs(region, group, refresh);
  const liveDone =
    allDone &&
    liveInstances(group).every((i) => !phase.launched.has(i.instanceId) || isReady(region, i, warm));
  if (!liveDone) return;
  // Then the warm pool: stale instances go, the pool refills from the target (autoscaling-warm-pool.ts).
  for (const id of phase.warmToReplace) {
    const inst = group.warmPool?.instances.get(id);
    if (inst) terminateWarm(region, group, inst, refreshCause(region, refresh));
  }
  phase.warmToReplace.clear();
  if ((progress.warmPool?.instancesToUpdate ?? 0) === 0 && warmInstances(group).every(settled))
    completePhase(region, group, refresh, now);
}

/** One step of one refresh. Called on every tick after the group's instances were synced with EC2. */
export function stepRefresh(region: AsgRegion, group: AutoScalingGroup, refresh: InstanceRefresh): void {
  const now = region.platform.now();
  if (!begin(region, group, refresh)) return;
  const phase = refresh.phase;
  if (!phase) {
    // Cancelled before it began: nothing was replaced.
    if (refresh.status === 'Cancelling')
      finish(region, refresh, 'Cancelled', 'The instance refresh was cancelled.');
    return;
  }
  if (alarmedOrBaking(region, group, refresh, now)) return;
  const launch = phaseLaunch(region, group, refresh, phase);
  if (!launch) return;

  const prefs = refresh.preferences;
  const bounds = batchBounds(
    group.desired,
    prefs.MinHealthyPercentage ?? 90,
    prefs.MaxHealthyPercentage ?? 100,
  );
  const cancelling = refresh.status === 'Cancelling';
  trackFloatingTarget(group, phase, launch);
  const step: ReplacementStep = { region, group, refresh, phase, launch, bounds };
  const failure = advanceJobs(step, !cancelling);
  if (failure) {
    setProgress(refresh, progressOf(region, group, refresh, launch));
    fail(region, group, refresh, failure);
    return;
  }
  const progress = progressOf(region, group, refresh, launch);
  setProgress(refresh, progress);
  if (cancelling) {
    if (phase.jobs.every((j) => j.done))
      finish(region, refresh, 'Cancelled', 'The instance refresh was cancelled.');
    return;
  }
  const room = checkpointRoom(region, group, refresh, phase, progress, now);
  if (room === undefined) return;
  followStandby(group, phase);
  startJobs(step, room);
  replaceStrayUnhealthy(region, group, refresh, phase, launch);
  completeWhenReplaced(region, group, refresh, phase, launch, progress, now);
}

function completePhase(
  region: AsgRegion,
  group: AutoScalingGroup,
  refresh: InstanceRefresh,
  now: number,
): void {
  if (refresh.phase?.kind === 'rollback') {
    finish(region, refresh, 'RollbackSuccessful', refresh.rollback?.reason);
    return;
  }
  const bakeSeconds = refresh.preferences.BakeTime ?? 0;
  if (bakeSeconds > 0) {
    setStatus(region, refresh, 'Baking');
    refresh.progress = { percentageComplete: 100, instancesToUpdate: 0 };
    refresh.bakeUntil = now + bakeSeconds * region.timings.secondMs;
    delete refresh.statusReason;
    return;
  }
  succeed(region, group, refresh);
}
