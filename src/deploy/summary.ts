// The deploy-ami job summary: the outcome, one row per step of the transaction (plan, record,
// roll, wait, restore, reap), wait-healthy's per-group detail when there was a wait, and timings.
import { blocks, code, details, heading, seconds, table } from '../core/summary.js';
import { renderSummary as renderWait } from '../health/summary.js';
import type { RegionPromotion } from '../promote/types.js';
import type { DeployResult, DeployStatus } from './result.js';

export const ICON: Record<DeployStatus, string> = {
  healthy: '✅',
  'rolled-back': '↩️',
  failed: '❌',
  'timed-out': '⏱️',
  refused: '⛔',
  planned: '📝',
};

function record(p: RegionPromotion | undefined, r: DeployResult, planned = false): string {
  if (!p) return '';
  const moved = planned ? 'moves' : 'moved';
  const value =
    p.outcome === 'unchanged'
      ? `already ${code(r.amiId)} (version ${p.version ?? '?'})`
      : `${p.previousAmiId ? code(p.previousAmiId) : '(new parameter)'} → ${code(r.amiId)}${p.version !== undefined ? `, version ${p.version}` : ''}`;
  const label = p.label
    ? p.label.moved
      ? `label ${p.label.name} ${moved} from version ${p.label.previousVersion ?? '(none)'}${p.label.previousAmiId ? ` (${code(p.label.previousAmiId)})` : ''}`
      : `label ${p.label.name} already there`
    : '';
  return [value, label].filter(Boolean).join('; ');
}

/** One row per step of the transaction (one region's, with amis). */
export function stepRows(r: DeployResult): (readonly unknown[])[] {
  const out: (readonly unknown[])[] = [];
  const plan = r.planned?.roll.groups ?? [];
  const refresh = plan.filter((g) => g.status === 'would-refresh').map((g) => g.group);
  const current = plan.filter((g) => g.status === 'already-current').map((g) => g.group);
  out.push([
    'plan (read-only)',
    r.planned
      ? `${record(r.planned.promote, r, true)}; refresh: ${refresh.join(', ') || 'none'}${current.length ? `; already current: ${current.join(', ')}` : ''}; order: ${r.order}`
      : `refused: ${r.failure ?? ''}`,
  ]);
  if (r.dryRun) return out;
  if (r.order === 'label-first' || r.promoted)
    out.push(['promote (record the label)', r.promoted ? record(r.promoted, r) : 'not recorded']);
  if (r.rolled)
    out.push([
      'roll',
      r.rolled.refreshes.length
        ? `${r.rolled.refreshes.length} refresh(es): ${r.rolled.refreshes.map((x) => `${x.group} → version ${x.newVersion ?? '(SSM)'}`).join(', ')}`
        : `already current: ${r.rolled.asgNames.join(', ')}`,
    ]);
  if (r.wait) out.push(['wait', `${ICON[r.wait.status]} ${r.wait.status}`]);
  if (r.restored.length) out.push(['put back', r.restored.join('; ')]);
  if (r.remaining?.length)
    out.push([
      '❗ not put back',
      r.remaining.map((x) => `${x.what} — finish with ${code(x.command)}`).join('<br>'),
    ]);
  if (r.reap)
    out.push([
      'reap Octopus orphans',
      r.reap.warning
        ? `⚠️ ${r.reap.warning}`
        : `${r.reap.result?.reaped.length ?? 0} deleted, ${(r.reap.result?.scanned ?? 0) - (r.reap.result?.reaped.length ?? 0)} kept`,
    ]);
  return out;
}

/** The job summary: outcome, the transaction's steps, the wait's detail, then timings. */
export function renderDeploySummary(r: DeployResult): string {
  return blocks(
    heading(`${ICON[r.status]} deploy-ami: ${code(r.amiId)} to ${r.environment}: ${r.status}`),
    r.failure ? `\`\`\`\n${r.failure}\n\`\`\`` : '',
    table(['step', 'outcome'], stepRows(r)),
    r.wait ? details('wait-healthy detail', renderWait(r.wait)) : '',
    table(
      ['phase', 'time'],
      r.timings.map((t) => [t.phase, seconds(t.ms)]),
    ),
  );
}
