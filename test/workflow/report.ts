// One readable report of a run: the jobs with their outcome, environment and approval, then each
// step's job summary in order — the page GitHub shows under "Summary", as markdown and HTML.
import MarkdownIt from 'markdown-it';
import type { JobRecord, WorkflowRun } from './types.js';

const ICON: Record<string, string> = { success: '✅', failure: '❌', skipped: '⏭️', cancelled: '🚫' };
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function jobRow(j: JobRecord): string {
  const gate = j.environment ? `${j.environment}${j.approval ? ` (${j.approval})` : ''}` : '';
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  return `| ${ICON[j.result] ?? ''} ${cell(j.name)} | ${j.result} | ${cell(gate)} | ${secs(j.durationMs)} | ${cell(j.error ?? '')} |`;
}

export function renderMarkdown(runs: WorkflowRun[], title: string, notes: string[] = []): string {
  const out: string[] = [`# ${title}`, ''];
  for (const n of notes) out.push(`- ${n}`);
  if (notes.length) out.push('');
  for (const run of runs) {
    const jobs = [...run.jobs].sort((a, b) => a.startedAt - b.startedAt);
    out.push(`## ${ICON[run.result] ?? ''} ${run.name} (${run.file}): ${run.result}`, '');
    out.push(
      '| job | result | environment | time | note |',
      '| --- | --- | --- | --- | --- |',
      ...jobs.map(jobRow),
      '',
    );
    for (const j of jobs) {
      const withSummary = j.steps.filter((s) => s.summary.trim());
      if (!withSummary.length) continue;
      out.push(`### ${j.name}`, '');
      for (const s of withSummary) out.push(`<!-- step: ${s.name} -->`, s.summary.trim(), '');
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}

export function renderHtml(markdown: string, title: string): string {
  const body = new MarkdownIt({ html: true, linkify: false }).render(markdown);
  const esc = title.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${esc}</title>
<style>
  body { font: 15px/1.5 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #1f2328; }
  table { border-collapse: collapse; margin: 0.5em 0 1em; }
  th, td { border: 1px solid #d0d7de; padding: 4px 10px; text-align: left; vertical-align: top; }
  th { background: #f6f8fa; }
  code, pre { background: #f6f8fa; border-radius: 4px; font-size: 90%; }
  pre { padding: 0.8em; overflow-x: auto; }
  h2 { border-bottom: 1px solid #d0d7de; padding-bottom: 0.3em; margin-top: 2em; }
</style>
</head>
<body>
${body}</body>
</html>
`;
}
