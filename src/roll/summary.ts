// The roll-asg job summary: one row per group with its refresh, template versions and AMIs.
import { blocks, code, heading, table } from '../core/summary.js';
import type { GroupOutcome, RollResult } from './result.js';

const STATUS: Record<GroupOutcome['status'], string> = {
  'refresh-started': '🔄 refresh started',
  'would-refresh': '📝 would refresh',
  'already-current': '✅ already current',
  failed: '❌ failed',
  'not-started': '⏸️ not started',
};

function versionCell(g: GroupOutcome): string {
  if (g.imageSource === 'ssm-parameter') return 'unchanged (image from SSM)';
  if (g.template.version === undefined) return g.status === 'would-refresh' ? 'new' : '—';
  return `${g.template.version}${g.template.created ? ' (new)' : ''}`;
}

/** The job summary: one row per group with its template versions and refresh id. */
export function renderRollSummary(r: RollResult, failure?: string): string {
  const started = r.groups.filter((g) => g.status === 'refresh-started').length;
  const current = r.groups.filter((g) => g.status === 'already-current').length;
  const amis = [...new Set(Object.values(r.amiIds))];
  const headline = r.dryRun
    ? `roll-asg: dry run, ${r.groups.length - current} group(s) would be refreshed`
    : `${failure ? '❌ roll-asg: failed; ' : 'roll-asg: '}${started} refresh(es) started, ${current} group(s) already current`;
  const rows = r.groups.map((g) => [
    g.region,
    g.group,
    g.template.name ? `${g.template.name} (${g.template.id})` : g.template.id,
    g.imageSource === 'ssm-parameter' ? `SSM → ${g.amiId}` : g.amiId,
    g.template.requested === String(g.template.previousVersion)
      ? g.template.previousVersion
      : `${g.template.previousVersion} (${g.template.requested})`,
    versionCell(g),
    g.refreshId ? code(g.refreshId) : '',
    g.error ? `${STATUS[g.status]}: ${g.error}` : STATUS[g.status],
  ]);
  const health = r.health
    ? blocks(
        heading(`Health: ${r.health.status}`, 4),
        table(
          ['Region', 'Group', 'Status', 'Detail'],
          r.health.groups.map((g) => [g.region, g.group, g.status, g.message]),
        ),
      )
    : undefined;
  return blocks(
    heading(headline),
    failure && `**Failed:** ${failure}`,
    `AMI: ${amis.map(code).join(', ')}`,
    table(
      ['Region', 'Group', 'Launch template', 'AMI', 'Previous version', 'New version', 'Refresh', 'Status'],
      rows,
    ),
    health,
  );
}
