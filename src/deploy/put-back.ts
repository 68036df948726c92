// The put-back: from the journal, make every observable the run changed what it was before. The
// main step runs it when the deployment fails (and its quick part when cancelled); the post step
// runs it again after a cancel or a put-back that could not finish. Each part is safe to repeat.
import type { ActionContext } from '../core/context.js';
import { changesOf, type GroupBefore, type JournalData } from './journal.js';
import { PutBackReport } from './persist.js';
import { refreshBack, refreshBackCommand, stopRefresh, takenOver } from './put-back-fleet.js';
import { restoreParameter } from './put-back-parameter.js';
import { deleteVersions, restoreDefaults, restoreSource, unpinFromOurs } from './put-back-records.js';

export interface PutBackOptions {
  /** Cancelled: only the calls that stop the damage (refreshes, label, value), no waiting; post finishes. */
  quick: boolean;
  /** How long a failing call is retried (put-back-timeout). */
  retryMs: number;
  /** How long refreshes (rolled back, or back) may take (timeout). */
  waitMs: number;
  /** A refresh back was started: recorded so a later put-back knows it is ours. */
  onRefreshBack?: (g: GroupBefore, refreshId: string) => void;
}

/** The groups the run changed: a refresh started (or sent), or the launch source updated. */
function touched(j: JournalData): { refreshed: GroupBefore[]; changed: GroupBefore[] } {
  const has = (g: GroupBefore, kind: 'refresh' | 'source') =>
    changesOf(j, kind).some((c) => c.region === g.region && c.group === g.name);
  return {
    refreshed: j.groups.filter((g) => has(g, 'refresh')),
    changed: j.groups.filter((g) => has(g, 'refresh') || has(g, 'source')),
  };
}

export async function putBack(ctx: ActionContext, j: JournalData, o: PutBackOptions): Promise<PutBackReport> {
  const report = new PutBackReport();
  report.touched = j.changes.length > 0;
  const now = ctx.clock.now();
  const budget = { retryUntil: now + o.retryMs, waitUntil: now + Math.max(o.waitMs, o.retryMs) };
  const { refreshed, changed } = touched(j);
  // 1. Our refreshes still running stop replacing instances with the AMI.
  if (j.rollbackOnFailure) await Promise.all(refreshed.map((g) => stopRefresh(ctx, j, g, budget, report)));
  // 2. The label (and value) first: a group whose template resolves it launches the old AMI again.
  const labelBack = await restoreParameter(ctx, j, budget, report, { waitForValue: !o.quick });
  // Cancelled: a call in flight may still land after this look, so the post step always looks again.
  if (o.quick) {
    report.unfinished = report.touched;
    return report;
  }
  // Groups another run (or hand) refreshed after ours are theirs now: left as they are, and listed.
  const theirs = new Set<GroupBefore>();
  for (const g of changed) {
    const r = await takenOver(ctx, j, g, budget).catch(() => undefined);
    if (!r) continue;
    theirs.add(g);
    report.left(
      `${g.region}/${g.name}: refreshed by someone else after this run (refresh ${r.InstanceRefreshId}, ${r.Status}), so it was left as it is`,
      undefined,
      `aws autoscaling describe-instance-refreshes --region ${g.region} --auto-scaling-group-name ${g.name}`,
    );
  }
  // 3. Groups whose instances still run the AMI go back to the launch source they had.
  if (j.rollbackOnFailure)
    await Promise.all(
      refreshed.map((g) =>
        theirs.has(g)
          ? undefined
          : // A group resolving the label would launch the AMI again while the label still names it.
            g.imageSource === 'ssm-parameter' && !labelBack
            ? report.left(
                `${g.region}/${g.name}: not refreshed back, since its template resolves label ${j.parameter?.label}, which may still name ${j.amiId}`,
                undefined,
                `${refreshBackCommand(g)} (once the label is back)`,
              )
            : refreshBack(ctx, j, g, budget, report, (id) => o.onRefreshBack?.(g, id)),
      ),
    );
  else
    for (const g of refreshed)
      report.left(
        `${g.region}/${g.name}: rollback-on-failure is off, so its refresh and instances were left as they are`,
        undefined,
        refreshBackCommand(g),
      );
  // 4. Groups still naming a version of ours go on the numbered versions they ran, 5. versions of
  // ours nothing runs are deleted, 6. then each launch source is put back as written (in that
  // order, so a group put back on $Latest never launches the AMI).
  for (const g of changed) if (!theirs.has(g)) await unpinFromOurs(ctx, g, budget, report);
  await restoreDefaults(ctx, j, budget, report);
  const kept = await deleteVersions(ctx, j, budget, report);
  for (const g of changed) if (!theirs.has(g)) await restoreSource(ctx, g, kept, budget, report);
  return report;
}
