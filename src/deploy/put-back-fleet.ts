// Putting a fleet back: our refreshes still running are rolled back (cancelled where AWS cannot
// roll back), and a group whose instances still run the AMI once they have ended — the refresh
// ended Successful, was cancelled half way, or another group's failure stopped the run — is
// refreshed back to the launch source it had, overrides included, and watched until it is there.
import {
  CancelInstanceRefreshCommand,
  RollbackInstanceRefreshCommand,
  StartInstanceRefreshCommand,
  type InstanceRefresh,
} from '@aws-sdk/client-auto-scaling';
import type { ActionContext } from '../core/context.js';
import { describeError } from '../core/errors.js';
import { poll } from '../core/poll.js';
import { hasCode, isTransient } from '../aws/errors.js';
import { describeGroups } from '../aws/groups.js';
import { instancesById } from '../aws/instances.js';
import { isActive, latestRefresh, RUNNING_STATUSES } from '../aws/refreshes.js';
import { amiIn, changesOf, type GroupBefore, type JournalData } from './journal.js';
import { persist, shellWord, type PutBackBudget, type PutBackReport } from './persist.js';

/** AWS's clock and ours may differ a little: a refresh started this much before our call may be ours. */
const SKEW_MS = 60_000;

const who = (g: GroupBefore) => `${g.region}/${g.name}`;
const cli = (g: GroupBefore) => `--region ${g.region} --auto-scaling-group-name ${shellWord(g.name)}`;

/** Is this refresh one the run started (its id was recorded, or its start had no answer)? */
export function isOurs(j: JournalData, g: GroupBefore, r: InstanceRefresh | undefined): boolean {
  if (!r?.InstanceRefreshId) return false;
  return changesOf(j, 'refresh').some(
    (c) =>
      c.region === g.region &&
      c.group === g.name &&
      (c.refreshId ? c.refreshId === r.InstanceRefreshId : (r.StartTime?.getTime() ?? 0) >= c.at - SKEW_MS),
  );
}

/**
 * Did another run (or hand) start a refresh on the group after ours? Then the group is theirs now:
 * putting it back would undo their work, so it is left as it is and listed.
 */
export async function takenOver(
  ctx: ActionContext,
  j: JournalData,
  g: GroupBefore,
  budget: PutBackBudget,
): Promise<InstanceRefresh | undefined> {
  const r = await persist(ctx, budget, `reading the refreshes of ${who(g)}`, () =>
    latestRefresh(ctx.clients.autoScaling(g.region), g.name, { signal: ctx.signal }),
  );
  if (!r?.InstanceRefreshId || isOurs(j, g, r)) return undefined;
  const back = changesOf(j, 'back').some((c) => c.refreshId === r.InstanceRefreshId);
  const after = (r.StartTime?.getTime() ?? 0) >= j.startedAt;
  return !back && after ? r : undefined;
}

/** Stops our refresh of the group if it is still running: RollbackInstanceRefresh, else cancel. */
export async function stopRefresh(
  ctx: ActionContext,
  j: JournalData,
  g: GroupBefore,
  budget: PutBackBudget,
  report: PutBackReport,
): Promise<void> {
  const client = ctx.clients.autoScaling(g.region);
  const input = { AutoScalingGroupName: g.name };
  try {
    const r = await persist(ctx, budget, `reading the refreshes of ${who(g)}`, () =>
      latestRefresh(ctx.clients.autoScaling(g.region), g.name, { signal: ctx.signal }),
    );
    if (!isOurs(j, g, r) || !RUNNING_STATUSES.has(r?.Status ?? '')) return;
    try {
      await persist(ctx, budget, `rolling back refresh ${r!.InstanceRefreshId} of ${who(g)}`, () =>
        client.send(new RollbackInstanceRefreshCommand(input)),
      );
      report.done(`${who(g)}: refresh ${r!.InstanceRefreshId} rolled back (RollbackInstanceRefresh)`);
    } catch (err) {
      if (hasCode(err, 'ActiveInstanceRefreshNotFound')) return;
      // An SSM-resolved image, or no desired configuration: AWS cannot roll it back, so it is cancelled.
      await persist(ctx, budget, `cancelling refresh ${r!.InstanceRefreshId} of ${who(g)}`, () =>
        client.send(new CancelInstanceRefreshCommand(input)),
      ).catch((e: unknown) => {
        if (!hasCode(e, 'ActiveInstanceRefreshNotFound')) throw e;
      });
      report.done(`${who(g)}: refresh ${r!.InstanceRefreshId} cancelled (AWS cannot roll it back)`);
    }
  } catch (err) {
    report.left(
      `${who(g)}: our refresh may still be running`,
      err,
      `aws autoscaling cancel-instance-refresh ${cli(g)}`,
    );
  }
}

/** Waits until no refresh is active on the group. */
async function settled(
  ctx: ActionContext,
  g: GroupBefore,
  until: number,
): Promise<InstanceRefresh | undefined> {
  return poll({
    phase: `waiting for the refresh of ${who(g)} to end`,
    clock: ctx.clock,
    signal: ctx.signal,
    deadline: until,
    minDelayMs: 1_000,
    maxDelayMs: 15_000,
    isTransient,
    check: async () => {
      const r = await latestRefresh(ctx.clients.autoScaling(g.region), g.name, { signal: ctx.signal });
      return isActive(r)
        ? { done: false as const, progress: `${r?.Status} ${r?.PercentageComplete ?? 0}%` }
        : { done: true as const, value: r };
    },
  });
}

/** The group's instances (not leaving) that run the AMI. */
async function onAmi(ctx: ActionContext, g: GroupBefore, amiId: string): Promise<string[]> {
  const [group] = await describeGroups(ctx.clients.autoScaling(g.region), { names: [g.name] });
  const ids = (group?.Instances ?? [])
    .filter((i) => !/^Terminat/.test(i.LifecycleState ?? ''))
    .flatMap((i) => (i.InstanceId ? [i.InstanceId] : []));
  if (!ids.length) return [];
  const instances = await instancesById(ctx.clients.ec2(g.region), ids);
  return instances.filter((i) => i.ImageId === amiId).flatMap((i) => (i.InstanceId ? [i.InstanceId] : []));
}

/** The refresh back: to the launch source as it was, each floating version at its number then. */
function refreshBackInput(g: GroupBefore) {
  const literal = g.imageSource === 'launch-template';
  return {
    AutoScalingGroupName: g.name,
    Strategy: 'Rolling' as const,
    // An SSM-resolved image does not change the template: every instance is replaced, from the label put back.
    ...(literal ? { DesiredConfiguration: g.pinned } : {}),
    Preferences: { SkipMatching: literal },
  };
}

/** The AWS CLI command that refreshes a group back to its launch source before the run. */
export function refreshBackCommand(g: GroupBefore): string {
  const input = refreshBackInput(g);
  const desired = input.DesiredConfiguration
    ? ` --desired-configuration ${shellWord(JSON.stringify(input.DesiredConfiguration))}`
    : '';
  return `aws autoscaling start-instance-refresh ${cli(g)} --strategy Rolling --preferences '${JSON.stringify(input.Preferences)}'${desired}`;
}

/**
 * Once the group's refreshes have ended: when instances still run the AMI, a refresh back to the
 * launch source before, watched until it succeeds and no instance runs the AMI.
 */
export async function refreshBack(
  ctx: ActionContext,
  j: JournalData,
  g: GroupBefore,
  budget: PutBackBudget,
  report: PutBackReport,
  onStart: (refreshId: string) => void,
): Promise<boolean> {
  const input = refreshBackInput(g);
  const ami = amiIn(j, g.region);
  const command = refreshBackCommand(g);
  try {
    await settled(ctx, g, budget.waitUntil);
    const left = await persist(ctx, budget, `reading the instances of ${who(g)}`, () => onAmi(ctx, g, ami));
    if (!left.length) return true;
    ctx.log.info(`${who(g)}: ${left.length} instance(s) still run ${ami}; refreshing them back`);
    const out = await persist(ctx, budget, `starting a refresh back of ${who(g)}`, () =>
      ctx.clients.autoScaling(g.region).send(new StartInstanceRefreshCommand(input)),
    );
    if (out.InstanceRefreshId) onStart(out.InstanceRefreshId);
    const ended = await settled(ctx, g, budget.waitUntil);
    const still = await persist(ctx, budget, `reading the instances of ${who(g)}`, () => onAmi(ctx, g, ami));
    if (still.length) {
      report.left(
        `${who(g)}: the refresh back ended ${ended?.Status ?? 'unknown'} (${ended?.StatusReason ?? 'no reason given'}) and ${still.length} instance(s) still run ${ami}`,
        undefined,
        command,
      );
      return false;
    }
    report.done(`${who(g)}: refreshed back (refresh ${out.InstanceRefreshId}), no instance runs ${ami}`);
    return true;
  } catch (err) {
    report.left(`${who(g)}: instances may still run ${ami} (${describeError(err)})`, undefined, command);
    return false;
  }
}
