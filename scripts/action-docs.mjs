// Renders an action.yml's inputs and outputs as markdown tables into a README, between
// <!-- action-docs:start --> and <!-- action-docs:end -->. Usage: node scripts/action-docs.mjs action.yml README.md
import { readFileSync, writeFileSync } from 'node:fs';
import { parse } from 'yaml';

const [actionFile, readmeFile] = process.argv.slice(2);
const action = parse(readFileSync(actionFile, 'utf8'));
const cell = (s) =>
  String(s ?? '')
    .replace(/\|/g, '\\|')
    .replace(/\n+/g, ' ')
    .trim();
const lines = ['| input | required | default | description |', '| --- | --- | --- | --- |'];
for (const [name, i] of Object.entries(action.inputs ?? {}))
  lines.push(
    `| \`${name}\` | ${i.required ? 'yes' : 'no'} | ${i.default === undefined || i.default === '' ? '' : `\`${cell(i.default)}\``} | ${cell(i.description)} |`,
  );
lines.push('', '| output | description |', '| --- | --- |');
for (const [name, o] of Object.entries(action.outputs ?? {}))
  lines.push(`| \`${name}\` | ${cell(o.description)} |`);
const start = '<!-- action-docs:start -->';
const end = '<!-- action-docs:end -->';
const readme = readFileSync(readmeFile, 'utf8');
if (!readme.includes(start)) throw new Error(`${readmeFile} has no ${start} marker`);
writeFileSync(
  readmeFile,
  readme.replace(new RegExp(`${start}[\\s\\S]*${end}`), `${start}\n${lines.join('\n')}\n${end}`),
);
