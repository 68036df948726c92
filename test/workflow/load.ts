// Loads a workflow file with GitHub's own parser (@actions/workflow-parser): schema validation,
// `if:` normalisation (success() && …), step ids; plus the raw token tree for what the converted
// model leaves out (a step's with:, shell:, working-directory:, timeout-minutes:; workflow_call outputs).
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import {
  convertWorkflowTemplate,
  isMapping,
  isSequence,
  NoOperationTraceWriter,
  parseWorkflow,
} from '@actions/workflow-parser';
import type {
  WorkflowTemplate,
  Job,
  ReusableWorkflowJob,
  Step,
} from '@actions/workflow-parser/model/workflow-template';
import type { MappingToken } from '@actions/workflow-parser/templates/tokens/mapping-token';
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/template-token';

export interface StepDef {
  id: string;
  /** True when the id was generated (the step had no `id:`): it is not in the steps context. */
  generatedId: boolean;
  name?: TemplateToken;
  if: string;
  run?: TemplateToken;
  uses?: string;
  env?: TemplateToken;
  with?: TemplateToken;
  shell?: string;
  workingDirectory?: TemplateToken;
  timeoutMinutes?: TemplateToken;
  continueOnError?: TemplateToken | boolean;
}

interface JobCommon {
  id: string;
  name?: TemplateToken;
  needs: string[];
  if: string;
  concurrency?: TemplateToken;
  strategy?: TemplateToken;
  timeoutMinutes?: TemplateToken;
}

export interface StepsJobDef extends JobCommon {
  kind: 'steps';
  env?: TemplateToken;
  environment?: TemplateToken;
  outputs?: TemplateToken;
  steps: StepDef[];
  defaults?: TemplateToken;
}

export interface CallJobDef extends JobCommon {
  kind: 'call';
  uses: string;
  with?: TemplateToken;
  secrets?: TemplateToken;
  inheritSecrets: boolean;
}

export type JobDef = StepsJobDef | CallJobDef;

export interface WorkflowCallDef {
  inputs: Record<string, { type: string; required: boolean; default?: unknown }>;
  secrets: Record<string, { required: boolean }>;
  outputs: Record<string, TemplateToken>;
}

export interface LoadedWorkflow {
  file: string;
  name: string;
  template: WorkflowTemplate;
  env?: TemplateToken;
  defaults?: TemplateToken;
  concurrency?: TemplateToken;
  jobs: JobDef[];
  workflowCall?: WorkflowCallDef;
  dispatchInputs: Record<string, { type: string; required: boolean; default?: unknown; options?: string[] }>;
}

export class WorkflowLoadError extends Error {}

const find = (m: TemplateToken | undefined, key: string): TemplateToken | undefined =>
  m && isMapping(m) ? m.find(key) : undefined;
const str = (t: TemplateToken | undefined): string | undefined =>
  t && 'value' in t && typeof t.value === 'string' ? t.value : undefined;

function rawSteps(jobToken: TemplateToken | undefined): MappingToken[] {
  const steps = find(jobToken, 'steps');
  return steps && isSequence(steps) ? [...steps].filter(isMapping) : [];
}

function stepDef(step: Step, raw: MappingToken | undefined): StepDef {
  if (!('run' in step) && !('uses' in step))
    throw new WorkflowLoadError(`step ${step.id}: only run: and uses: steps are supported`);
  const coe = step['continue-on-error'];
  return {
    id: step.id,
    generatedId: str(find(raw, 'id')) === undefined,
    name: step.name,
    if: step.if.expression,
    run: 'run' in step ? step.run : undefined,
    uses: 'uses' in step ? step.uses.value : undefined,
    env: step.env,
    with: find(raw, 'with'),
    shell: str(find(raw, 'shell')),
    workingDirectory: find(raw, 'working-directory'),
    timeoutMinutes: find(raw, 'timeout-minutes'),
    continueOnError: coe,
  };
}

function workflowCall(root: MappingToken, template: WorkflowTemplate): WorkflowCallDef | undefined {
  const call = template.events.workflow_call;
  if (!call) return undefined;
  const outputs: Record<string, TemplateToken> = {};
  const rawOutputs = find(find(find(root, 'on'), 'workflow_call'), 'outputs');
  if (rawOutputs && isMapping(rawOutputs)) {
    for (const pair of rawOutputs) {
      const value = find(pair.value, 'value');
      if (value) outputs[String(str(pair.key))] = value;
    }
  }
  return {
    inputs: Object.fromEntries(
      Object.entries(call.inputs ?? {}).map(([k, v]) => [
        k,
        { type: v.type, required: v.required ?? false, default: v.default },
      ]),
    ),
    secrets: Object.fromEntries(
      Object.entries(call.secrets ?? {}).map(([k, v]) => [k, { required: v.required ?? false }]),
    ),
    outputs,
  };
}

export async function loadWorkflow(file: string): Promise<LoadedWorkflow> {
  const content = readFileSync(file, 'utf8');
  const parsed = parseWorkflow({ name: basename(file), content }, new NoOperationTraceWriter());
  const errors = parsed.context.errors.getErrors();
  if (errors.length || !parsed.value)
    throw new WorkflowLoadError(`${file}: ${errors.map((e) => e.message).join('; ') || 'empty workflow'}`);
  const template = await convertWorkflowTemplate(parsed.context, parsed.value);
  if (template.errors?.length)
    throw new WorkflowLoadError(`${file}: ${template.errors.map((e) => e.Message).join('; ')}`);
  const root = parsed.value.assertMapping('workflow root');
  const rawJobs = find(root, 'jobs');
  const jobs: JobDef[] = template.jobs.map((job) => {
    const raw = find(rawJobs, job.id.value);
    const common: JobCommon = {
      id: job.id.value,
      name: job.name,
      needs: (job.needs ?? []).map((n) => n.value),
      if: job.if.expression,
      concurrency: job.concurrency,
      strategy: job.strategy,
      timeoutMinutes: find(raw, 'timeout-minutes'),
    };
    if (job.type === 'reusableWorkflowJob') {
      const call = job as ReusableWorkflowJob;
      return {
        ...common,
        kind: 'call',
        uses: call.ref.value,
        with: call['input-values'],
        secrets: call['secret-values'],
        inheritSecrets: call['inherit-secrets'] ?? false,
      };
    }
    const steps = (job as Job).steps;
    const raws = rawSteps(raw);
    return {
      ...common,
      kind: 'steps',
      env: (job as Job).env,
      environment: (job as Job).environment,
      outputs: job.outputs,
      defaults: find(raw, 'defaults'),
      steps: steps.map((s, i) => stepDef(s, raws[i])),
    };
  });
  const dispatch = template.events.workflow_dispatch;
  return {
    file,
    name: str(find(root, 'name')) ?? basename(file),
    template,
    env: find(root, 'env'),
    defaults: find(root, 'defaults'),
    concurrency: find(root, 'concurrency'),
    jobs,
    workflowCall: workflowCall(root, template),
    dispatchInputs: Object.fromEntries(
      Object.entries(dispatch?.inputs ?? {}).map(([k, v]) => [
        k,
        { type: v.type, required: v.required ?? false, default: v.default, options: v.options },
      ]),
    ),
  };
}
