// The job summary: what was removed and why, what was kept or skipped and why.
import { blocks, code, details, heading, table } from '../core/summary.js';
import type { ReapResult, TargetRecord } from './reap.js';

const ROWS = 100;

function rows(targets: TargetRecord[]): string {
  const body = targets
    .slice(0, ROWS)
    .map((t) => [t.name, code(t.machineId), t.instanceId ?? '', t.state ?? '', t.region ?? '', t.reason]);
  const more = targets.length > ROWS ? `\n\n…and ${targets.length - ROWS} more.` : '';
  return table(['Target', 'Machine', 'Instance', 'State', 'Region', 'Why'], body) + more;
}

export function renderReapSummary(r: ReapResult, failure?: string): string {
  const scope = `${r.space.name} / ${r.environments.join(', ')}`;
  const widened = r.widened.length ? `, then ${r.widened.join(', ')} for instances not found there` : '';
  const counts = `${r.scanned} targets scanned in ${scope} (EC2: ${r.regions.join(', ')}${widened}, ${r.ec2Calls} DescribeInstances calls): ${r.reaped.length} removed, ${r.kept.length} kept (instance still there, or not checkable), ${r.unmapped.length} skipped (no instance to match).`;
  const removedTitle = r.dryRun
    ? `Would remove (dry run): ${r.orphans.length}`
    : `Removed: ${r.reaped.length}`;
  const removed = r.dryRun ? r.orphans : r.reaped;
  return blocks(
    heading(`${failure ? '❌' : '🧹'} reap-octopus-orphans: ${scope}`),
    failure && `**Nothing more was deleted:** ${failure}`,
    counts,
    r.refusal && `⚠️ A real run would refuse: ${r.refusal}`,
    removed.length > 0 && blocks(heading(removedTitle, 4), rows(removed)),
    failure &&
      !r.dryRun &&
      r.orphans.length > r.reaped.length &&
      blocks(
        heading(`Orphans not removed: ${r.orphans.length - r.reaped.length}`, 4),
        rows(r.orphans.filter((o) => !r.reaped.some((x) => x.machineId === o.machineId))),
      ),
    r.unmapped.length > 0 && blocks(heading(`Skipped: ${r.unmapped.length}`, 4), rows(r.unmapped)),
    r.kept.length > 0 && details(`Kept: ${r.kept.length}`, rows(r.kept)),
  );
}
