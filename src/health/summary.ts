// The job summary: the outcome, a table per group, and a mermaid gantt timeline of the rollout.
import { blocks, code, heading, table } from '../core/summary.js';
import type { GroupResult, HealthResult, HealthStatus } from './types.js';

const ICON: Record<HealthStatus, string> = {
  healthy: '✅',
  'rolled-back': '↩️',
  failed: '❌',
  'timed-out': '⏱️',
};

const at = (ms: number | undefined) =>
  ms === undefined ? '' : new Date(ms).toISOString().replace('.000Z', 'Z');

function groupTable(g: GroupResult): string {
  const counts = (n: number | undefined, of: number | undefined) =>
    n === undefined ? '' : `${n}${of === undefined ? '' : ` / ${of}`}`;
  const rows: [string, unknown][] = [
    ['Outcome', `${ICON[g.status]} ${g.status}`],
    ['Refresh', g.refreshId ? code(g.refreshId) : 'none found'],
    [
      'AWS status',
      [g.refreshStatus, g.percentageComplete !== undefined ? `${g.percentageComplete}%` : '']
        .filter(Boolean)
        .join(' '),
    ],
    ['Status reason', g.statusReason ?? ''],
    [
      'Expected',
      [g.expectedVersion && `template version ${g.expectedVersion}`, g.expectedAmiId && code(g.expectedAmiId)]
        .filter(Boolean)
        .join(', '),
    ],
    ['Previous version', g.previousVersion ?? ''],
    ['Group template version now', g.groupVersion ?? ''],
    ['InService / desired', counts(g.inService, g.desired)],
    ['On expected version / AMI', counts(g.onExpected, g.inService)],
    ['Healthy targets', g.totalTargets ? counts(g.healthyTargets, g.totalTargets) : ''],
    ['health-url passed', counts(g.httpOk, g.httpOk === undefined ? undefined : g.inService)],
    ['Action taken', g.action],
    ['Polls', g.polls],
    ['Checkpoints', g.timeline.checkpoints.map((c) => `${c.percent}% at ${at(c.at)}`).join(', ')],
    ['Result', g.message],
  ];
  return table(
    ['', ''],
    rows.filter(([, v]) => v !== '' && v !== undefined),
  );
}

/** Mermaid task names may not contain ':' or '#', and ';' ends a statement. */
const safe = (s: string) => s.replace(/[:#;]/g, ' ');

export function gantt(groups: readonly GroupResult[], now: number): string {
  const lines = ['gantt', '  title Rollout timeline', '  dateFormat x', '  axisFormat %H:%M:%S'];
  groups.forEach((g, i) => {
    const t = g.timeline;
    const end = t.end ?? now;
    lines.push(`  section ${safe(`${g.region}/${g.group}`)}`);
    const refreshStart = Math.min(t.refreshStart ?? t.watchStart, t.watchStart);
    const refreshEnd = t.refreshEnd ?? t.verifyStart ?? t.failedAt ?? end;
    lines.push(
      `  refresh ${safe(g.refreshStatus ?? '')} :${g.status === 'healthy' ? 'done' : 'active'}, r${i}, ${refreshStart}, ${Math.max(refreshEnd, refreshStart + 1)}`,
    );
    t.checkpoints.forEach((c, j) =>
      lines.push(`  checkpoint ${c.percent}% :milestone, c${i}_${j}, ${c.at}, ${c.at}`),
    );
    if (t.verifyStart !== undefined) {
      const vEnd = t.verifiedAt ?? t.failedAt ?? end;
      lines.push(
        `  verify :${t.verifiedAt ? 'done' : 'crit'}, v${i}, ${t.verifyStart}, ${Math.max(vEnd, t.verifyStart + 1)}`,
      );
    }
    if (t.rollbackStart !== undefined) {
      const rEnd = t.rollbackEnd ?? end;
      lines.push(`  rollback :crit, b${i}, ${t.rollbackStart}, ${Math.max(rEnd, t.rollbackStart + 1)}`);
    }
  });
  return ['```mermaid', ...lines, '```'].join('\n');
}

export function renderSummary(r: HealthResult): string {
  const requests = Object.entries(r.requests)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  const seconds = Math.max(0.001, (r.endedAt - r.startedAt) / 1000);
  return blocks(
    heading(`${ICON[r.status]} wait-healthy: ${r.status}`, 3),
    r.failures.length
      ? r.failures.map((f) => `- ${f}`).join('\n')
      : `All ${r.groups.length} group(s) proven healthy.`,
    ...r.groups.map((g) => blocks(heading(`${g.region}/${g.group}`, 4), groupTable(g))),
    heading('Timeline', 4),
    gantt(r.groups, r.endedAt),
    `Requests: ${requests || 'none'} in ${seconds.toFixed(1)}s (budget ${r.maxRequestsPerSecond}/s per service and region).`,
  );
}

/** The `results` output: one entry per group, times as ISO strings. */
export function resultsOutput(r: HealthResult): object[] {
  return r.groups.map((g) => ({
    region: g.region,
    group: g.group,
    refreshId: g.refreshId,
    status: g.status,
    refreshStatus: g.refreshStatus,
    refreshStatusFrom: g.refreshStatusFrom,
    statusReason: g.statusReason,
    percentageComplete: g.percentageComplete,
    expectedVersion: g.expectedVersion,
    expectedAmiId: g.expectedAmiId,
    previousVersion: g.previousVersion,
    groupVersion: g.groupVersion,
    desired: g.desired,
    inService: g.inService,
    onExpected: g.onExpected,
    healthyTargets: g.healthyTargets,
    totalTargets: g.totalTargets,
    targetsFrom: g.targetsFrom,
    httpOk: g.httpOk,
    action: g.action,
    message: g.message,
    polls: g.polls,
    startedAt: at(g.timeline.watchStart),
    endedAt: at(g.timeline.end),
  }));
}
