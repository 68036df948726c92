import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface ActionInput {
  description?: string;
  required?: boolean;
  default?: string;
  deprecationMessage?: string;
}

export interface ActionMetadata {
  name: string;
  description: string;
  inputs: Record<string, ActionInput>;
  outputs: Record<string, { description?: string; value?: string }>;
  runs: { using: string; main?: string; post?: string; 'post-if'?: string; steps?: unknown[] };
  branding?: { icon?: string; color?: string };
  /** Directory holding action.yml; runs.main is relative to it. */
  dir: string;
  file: string;
}

/** Actions by the name used with `uses:`: "deploy-ami" is the root action.yml. */
export function actionDir(action: string): string {
  return action === 'deploy-ami' ? repoRoot : join(repoRoot, 'actions', action);
}

export function loadAction(action: string): ActionMetadata {
  const dir = actionDir(action);
  const file = join(dir, 'action.yml');
  const doc = parse(readFileSync(file, 'utf8')) as Partial<Omit<ActionMetadata, 'dir' | 'file'>>;
  if (!doc.name || !doc.runs) throw new Error(`${file}: not an action (name and runs are required)`);
  return {
    name: doc.name,
    description: doc.description ?? '',
    inputs: doc.inputs ?? {},
    outputs: doc.outputs ?? {},
    runs: doc.runs,
    branding: doc.branding,
    dir,
    file,
  };
}

export const ACTIONS = [
  'bake-ami',
  'promote-ami-parameter',
  'roll-asg',
  'wait-healthy',
  'reap-octopus-orphans',
  'retire-amis',
] as const;
