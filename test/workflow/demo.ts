// `npm run demo`: localcloud with a staging and a production fleet, then release.yml end to end
// through the local workflow runner — bake, staging rollout, the production approval (granted by
// the demo; `--ask` asks on a terminal instead), production rollout — with each job's progress
// printed and the job summaries written to demo-report/report.md and report.html.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../harness/action-metadata.js';
import { start } from '../localcloud/index.js';
import { askOnTerminal } from './approvals.js';
import { seedFleet } from './fleet.js';
import { pipelineOptions } from './pipeline-env.js';
import { renderHtml, renderMarkdown } from './report.js';
import { runWorkflow } from './runner.js';
import type { RunEvent } from './types.js';

const began = Date.now();
const ask = process.argv.includes('--ask');
const verbose = process.argv.includes('--verbose');
const at = () => `[${((Date.now() - began) / 1000).toFixed(1).padStart(5)} s]`;
const ICON: Record<string, string> = { success: '✓', failure: '✗', skipped: '-', cancelled: '!' };

function progress(e: RunEvent): void {
  switch (e.type) {
    case 'job-start':
      console.log(`${at()} ▶ ${e.name}`);
      break;
    case 'job-end':
      console.log(
        `${at()} ${ICON[e.result]} ${e.name}: ${e.result} (${(e.durationMs / 1000).toFixed(1)} s)${e.error ? ` — ${e.error}` : ''}`,
      );
      break;
    case 'step-end':
      if (e.conclusion !== 'skipped' || verbose)
        console.log(`${at()}     ${ICON[e.conclusion]} ${e.step} (${(e.durationMs / 1000).toFixed(1)} s)`);
      break;
    case 'approval':
      console.log(
        `${at()}   ⚑ ${e.environment}: deployment ${e.granted ? 'approved' : 'rejected'}${ask ? '' : ' (granted by the demo; run with --ask to decide yourself)'}`,
      );
      break;
    case 'line':
      // Progress lines of our actions; workflow commands (::debug:: and the like) stay out.
      if (
        verbose ||
        (!e.line.startsWith('::') &&
          /(InProgress|Successful|healthy|refresh|reaped|promot|Baking|AMI|ami-|Plan:|label|restored)/i.test(
            e.line,
          ))
      )
        console.log(`${at()}         ${e.line.slice(0, 160)}`);
      break;
    default:
      break;
  }
}

if (!existsSync(join(repoRoot, 'dist', 'bake-ami', 'index.js'))) {
  console.error('dist/ is missing: run `npm run build` first.');
  process.exit(1);
}

const lc = await start({ port: 0, seed: 2024 });
let exitCode = 1;
let stopFleet = () => undefined as void;
try {
  console.log(`${at()} localcloud at ${lc.url} (Octopus at ${lc.url}/octopus)`);
  const fleet = await seedFleet(lc);
  stopFleet = fleet.stop;
  for (const g of fleet.groups)
    console.log(`${at()}   ${g.environment}: ${g.groupName}, ${g.desired} instances on ${fleet.baseAmiId}`);
  console.log(
    `${at()}   Octopus: one orphaned target per environment (${Object.values(fleet.orphans).flat().join(', ')})`,
  );
  console.log(`${at()} release.yml (push of tag v1.0.0)`);
  const run = await runWorkflow('.github/workflows/release.yml', {
    ...pipelineOptions(lc, {
      event: { name: 'push', ref: 'refs/tags/v1.0.0' },
      approve: ask ? askOnTerminal : async () => true,
      onEvent: progress,
    }),
  });
  const outDir = join(repoRoot, 'demo-report');
  mkdirSync(outDir, { recursive: true });
  const title = 'golden-ami-actions demo: release.yml on localcloud';
  const bake = run.jobs.find((j) => j.key === 'bake');
  const notes = [
    `Run on localcloud (${lc.url}); ${fleet.groups.length} Auto Scaling groups in 2 environments, started on ${fleet.baseAmiId}.`,
    `Baked AMI: ${bake?.outputs['ami-id'] ?? '(none)'}; overall result: ${run.result}; wall time ${((Date.now() - began) / 1000).toFixed(1)} s.`,
    'Each deployment (deploy.yml → deploy-ami) is one transaction: a read-only plan (promote and roll checks), the roll, the proof that the fleet is healthy, then the environment label moves to the AMI and orphaned Octopus targets are reaped; had the fleet not ended healthy, the refresh would be rolled back and the label, parameter value and new template versions put back. Each deploy-ami summary below lists those steps.',
  ];
  const markdown = renderMarkdown([run], title, notes);
  writeFileSync(join(outDir, 'report.md'), markdown);
  writeFileSync(join(outDir, 'report.html'), renderHtml(markdown, title));
  console.log(
    `${at()} ${run.result === 'success' ? '✓' : '✗'} release.yml ${run.result}; report: demo-report/report.md, demo-report/report.html`,
  );
  exitCode = run.result === 'success' ? 0 : 1;
} finally {
  stopFleet();
  await lc.stop();
}
process.exit(exitCode);
