// The job summary of deploy-ami across regions: the outcome in total, one row per region, then
// each region's steps as in one region, and the timings of the plan, waves and record.
import { blocks, code, details, heading, seconds, table } from '../core/summary.js';
import { renderSummary as renderWait } from '../health/summary.js';
import { regionStatus, type RegionsResult } from './regions.js';
import { ICON, stepRows } from './summary.js';

const waveOf = (r: RegionsResult, region: string) => r.waves.findIndex((w) => w.includes(region)) + 1;

export function renderRegionsSummary(r: RegionsResult): string {
  return blocks(
    heading(`${ICON[r.status]} deploy-ami: ${r.regions.length} regions to ${r.environment}: ${r.status}`),
    r.failure ? `\`\`\`\n${r.failure}\n\`\`\`` : '',
    `Waves: ${r.waves.map((w, i) => `${i + 1}. ${w.join(', ')}`).join(' → ')}. Label ${code(r.label)} moves in a region only once every region is proven healthy.`,
    table(
      ['region', 'wave', 'AMI', 'status', 'refreshes'],
      r.regions.map((d) => {
        const status = regionStatus(r, d);
        return [
          d.region ?? '',
          waveOf(r, d.region ?? ''),
          code(d.amiId),
          `${status === 'not-started' ? '⏸️' : ICON[status]} ${status}`,
          d.rolled?.refreshes.length ?? 0,
        ];
      }),
    ),
    ...r.regions.map((d) =>
      blocks(
        heading(d.region ?? '', 4),
        table(['step', 'outcome'], stepRows(d)),
        d.wait ? details(`wait-healthy detail (${d.region ?? ''})`, renderWait(d.wait)) : '',
      ),
    ),
    table(
      ['phase', 'time'],
      r.timings.map((t) => [t.phase, seconds(t.ms)]),
    ),
  );
}
