// The promote-ami-parameter job summary: per region, what the parameter held, holds now, and the label.
import { blocks, code, heading, table } from '../core/summary.js';
import type { PromoteResult, RegionPromotion } from './types.js';

const RESULT: Record<RegionPromotion['outcome'], [done: string, planned: string]> = {
  created: ['created', 'would create'],
  updated: ['updated', 'would update'],
  'rolled-back': ['rolled back (allow-older)', 'would roll back (allow-older)'],
  unchanged: ['already current', 'already current'],
};

function labelCell(r: RegionPromotion, dryRun: boolean): string {
  if (!r.label) return '';
  const from = r.label.previousVersion === undefined ? 'none' : `v${r.label.previousVersion}`;
  if (!r.label.moved) return `${r.label.name} (stays on v${r.version})`;
  const to = r.version === undefined ? 'the new version' : `v${r.version}`;
  return `${r.label.name}: ${from} → ${to}${dryRun ? ' (planned)' : ''}`;
}

/** Job summary: old → new per region, with versions and labels; a failure line when it failed part-way. */
export function renderPromoteSummary(result: PromoteResult, failure?: string): string {
  const title = `${failure ? '❌ ' : ''}${result.dryRun ? 'Plan: ' : ''}promote ${code(result.parameterName)}${failure ? ': failed' : ''}`;
  const rows = result.regions.map((r) => [
    r.region,
    r.previousAmiId ? `${code(r.previousAmiId)} (v${r.previousVersion})` : '—',
    `${code(r.amiId)}${r.version === undefined ? '' : ` (v${r.version})`}`,
    labelCell(r, result.dryRun),
    RESULT[r.outcome][result.dryRun ? 1 : 0],
  ]);
  const notes = result.regions.flatMap((r) => r.notes.map((n) => `- ${r.region}: ${n}`));
  return blocks(
    heading(title),
    result.dryRun && 'Dry run: nothing was written.',
    table(['Region', 'Before', 'After', 'Label', 'Result'], rows),
    notes.length > 0 && notes.join('\n'),
    failure && `**Failed:** ${failure}`,
  );
}
