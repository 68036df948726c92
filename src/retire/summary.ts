// The job summary: per region, what was kept and why, disabled, deregistered, and storage freed.
import { blocks, code, details, heading, table } from '../core/summary.js';
import type { Outcome, RetireResult } from './types.js';

const ROWS = 200;
const GIB = 1024 ** 3;

const VERB: Record<Outcome['action'], [done: string, planned: string]> = {
  keep: ['kept', 'keep'],
  disable: ['disabled + deprecated', 'would disable + deprecate'],
  deregister: ['deregistered', 'would deregister'],
  enable: ['re-enabled', 'would re-enable'],
  wait: ['disabled, waiting', 'disabled, waiting'],
};

function rows(list: Outcome[], dryRun: boolean): string {
  const body = list.slice(0, ROWS).map((o) => [
    code(o.image.imageId),
    o.image.imageName,
    new Date(o.image.created).toISOString().slice(0, 10),
    VERB[o.action][dryRun || !o.done ? 1 : 0],
    o.reasons.join('; ') +
      o.snapshots
        .filter((s) => s.leftBecause)
        .map((s) => `; snapshot ${s.snapshotId} left: ${s.leftBecause}`)
        .join(''),
  ]);
  return (
    table(['AMI', 'Name', 'Created', 'Result', 'Why'], body) +
    (list.length > ROWS ? `\n\n…and ${list.length - ROWS} more.` : '')
  );
}

export function renderRetireSummary(r: RetireResult, failure?: string): string {
  // Refused and dry runs changed nothing: say what would be done.
  const planned = r.dryRun || r.refusal !== undefined;
  const word = (done: string, plan: string) => (planned ? plan : done);
  const parts = r.regions.map((region) => {
    const by = (a: Outcome['action']) => region.outcomes.filter((o) => o.action === a && (planned || o.done));
    const gone = by('deregister');
    const bytes = gone.reduce(
      (n, o) =>
        n +
        o.snapshots.filter((s) => (planned ? !s.leftBecause : s.deleted)).reduce((m, s) => m + s.bytes, 0),
      region.leftovers.filter((s) => planned || s.deleted).reduce((m, s) => m + s.bytes, 0),
    );
    const changed = region.outcomes.filter((o) => o.action !== 'keep');
    const kept = region.outcomes.filter((o) => o.action === 'keep');
    return blocks(
      heading(`${region.region}: ${region.outcomes.length} AMIs`, 4),
      `${kept.length} kept, ${by('disable').length} ${word('disabled', 'to disable')}, ${by('wait').length} disabled and waiting, ${gone.length} ${word('deregistered', 'to deregister')}, ${by('enable').length} ${word('re-enabled', 'to re-enable')}; snapshot storage ${word('freed', 'to free')}: ${(bytes / GIB).toFixed(0)} GiB (${bytes} bytes, volume sizes).`,
      region.leftovers.length > 0 &&
        `Snapshots an earlier run marked (\`golden-ami:retired-from\`) whose AMI is gone, ${word('deleted', 'to delete')}: ${region.leftovers.map((s) => code(s.snapshotId)).join(', ')}.`,
      changed.length > 0 && rows(changed, r.dryRun),
      kept.length > 0 && details(`Kept: ${kept.length}`, rows(kept, r.dryRun)),
    );
  });
  return blocks(
    heading(`${failure ? '❌' : '🗄️'} retire-amis${r.dryRun ? ' (dry run: nothing was changed)' : ''}`),
    failure && `**Stopped:** ${failure}`,
    r.refusal && !failure && `⚠️ A real run would refuse: ${r.refusal}`,
    `${r.ec2Calls} EC2 calls.`,
    ...parts,
  );
}
