import { blocks, code, heading, seconds, table } from '../core/summary.js';
import type { DeployResult } from './deploy.js';

const icon = (status: string) => (status === 'healthy' ? '✅' : '❌');

/** The job summary: one table of what each phase did, then the timings. */
export function renderDeploySummary(r: DeployResult): string {
  const rows: (readonly unknown[])[] = [];
  if (r.reap) rows.push(['reap Octopus orphans', `${r.reap.reapedCount} deleted, ${r.reap.keptCount} kept`]);
  rows.push([
    'promote',
    r.promote.changed
      ? `${r.promote.previousAmiId ? code(r.promote.previousAmiId) : '(new parameter)'} → ${code(r.amiId)}, version ${r.promote.version}`
      : `already ${code(r.amiId)} (version ${r.promote.version})`,
  ]);
  rows.push([
    'roll',
    r.roll.refreshes.length
      ? `${r.roll.refreshes.length} refresh(es) on ${r.roll.asgNames.join(', ')}`
      : `already current: ${r.roll.asgNames.join(', ')}`,
  ]);
  rows.push(['wait', r.wait ? `${icon(r.wait.status)} ${r.wait.status}` : 'nothing to wait for']);
  return blocks(
    heading(`${icon(r.status)} deploy-ami: ${code(r.amiId)} to ${r.environment}`),
    table(['phase', 'outcome'], rows),
    table(
      ['phase', 'time'],
      r.timings.map((t) => [t.phase, seconds(t.ms)]),
    ),
  );
}
