// Cross-checks an action's ActionSpec (what the code reads and sets) against its action.yml.
import { readFileSync } from 'node:fs';
import { isMap, isScalar, parseDocument, Scalar } from 'yaml';
import { declaredInputs, type ActionSpec, type Fields } from '../../src/core/inputs.js';
import type { ActionMetadata } from './action-metadata.js';

export function checkSpecAgainstAction(spec: ActionSpec<Fields>, meta: ActionMetadata): string[] {
  const findings: string[] = [];
  const where = meta.file.replace(/^.*?(actions\/|action\.yml)/, '$1');
  const declared = new Set(Object.keys(meta.inputs));
  // Every field, and the old name of each renamed one (deprecated, still read for one minor version).
  const inputs = declaredInputs(spec);
  for (const field of inputs) {
    const name = field.name;
    const yml = meta.inputs[name];
    if (!yml) {
      findings.push(`${where}: input ${name} is read by the code but not declared`);
      continue;
    }
    if (!yml.description?.trim()) findings.push(`${where}: input ${name} has no description`);
    else if (yml.description.trim() !== field.description?.trim())
      findings.push(`${where}: input ${name}'s description differs from its spec's (run npm run gen)`);
    const ymlDefault = yml.default === undefined ? undefined : String(yml.default);
    if (ymlDefault !== field.default)
      findings.push(
        `${where}: input ${name} defaults to ${JSON.stringify(ymlDefault)} but the code to ${JSON.stringify(field.default)}`,
      );
    if (yml.required === true && !field.required)
      findings.push(`${where}: input ${name} is required in action.yml but optional in code`);
    if (field.required && !field.env?.length && yml.required !== true)
      findings.push(`${where}: input ${name} is required by the code; declare required: true`);
    if (yml.deprecationMessage !== field.deprecationMessage)
      findings.push(`${where}: input ${name}'s deprecationMessage differs from its spec's (run npm run gen)`);
  }
  for (const name of declared)
    if (!inputs.some((i) => i.name === name))
      findings.push(`${where}: input ${name} is declared but never read`);
  if (inputs.map((i) => i.name).join() !== Object.keys(meta.inputs).join())
    findings.push(`${where}: inputs are not in the spec's order (run npm run gen)`);
  const outputs = new Set(Object.keys(meta.outputs));
  for (const [name, description] of Object.entries(spec.outputs)) {
    if (!outputs.has(name)) findings.push(`${where}: output ${name} is set by the code but not declared`);
    else if (!meta.outputs[name]?.description?.trim())
      findings.push(`${where}: output ${name} has no description`);
    else if (meta.outputs[name].description.trim() !== description.trim())
      findings.push(`${where}: output ${name}'s description differs from its spec's (run npm run gen)`);
  }
  for (const name of outputs)
    if (!Object.hasOwn(spec.outputs, name))
      findings.push(`${where}: output ${name} is declared but never set`);
  return findings;
}

/** Defaults must be quoted strings in action.yml, so YAML never turns `true` or `010` into something else. */
export function unquotedDefaults(file: string): string[] {
  const doc = parseDocument(readFileSync(file, 'utf8'));
  const inputs = doc.get('inputs');
  if (!isMap(inputs)) return [];
  const bad: string[] = [];
  for (const pair of inputs.items) {
    const spec = pair.value;
    if (!isMap(spec)) continue;
    const d = spec.get('default', true);
    if (d === undefined) continue;
    if (!isScalar(d) || (d.type !== Scalar.QUOTE_DOUBLE && d.type !== Scalar.QUOTE_SINGLE))
      bad.push(`${String((pair.key as Scalar).value)}`);
  }
  return bad;
}
