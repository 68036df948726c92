// What the local runner reports: per job and step, as GitHub's run page would show it.
import type { Value } from './expressions.js';

export type Conclusion = 'success' | 'failure' | 'skipped' | 'cancelled';

export interface StepRecord {
  id: string;
  name: string;
  /** Before continue-on-error is applied. */
  outcome: Conclusion;
  conclusion: Conclusion;
  outputs: Record<string, string>;
  /** Step output with registered secrets masked. */
  log: string;
  summary: string;
  errors: string[];
  warnings: string[];
  post: boolean;
  durationMs: number;
}

export interface JobRecord {
  /** "bake", or "staging/deploy" for a job of a called workflow. */
  key: string;
  name: string;
  result: Conclusion;
  outputs: Record<string, string>;
  steps: StepRecord[];
  environment?: string;
  approval?: 'approved' | 'rejected';
  /** Why the job failed outside any step (rejected approval, bad inputs of a called workflow, timeout). */
  error?: string;
  startedAt: number;
  durationMs: number;
}

export interface WorkflowRun {
  file: string;
  name: string;
  result: Conclusion;
  jobs: JobRecord[];
  /** Outputs of a workflow_call workflow (the called run's `on.workflow_call.outputs`). */
  outputs: Record<string, string>;
}

export type RunEvent =
  | { type: 'job-start'; job: string; name: string }
  | {
      type: 'job-end';
      job: string;
      name: string;
      result: Conclusion;
      outputs: Record<string, string>;
      durationMs: number;
      error?: string;
    }
  | { type: 'step-start'; job: string; step: string }
  | { type: 'step-end'; job: string; step: string; conclusion: Conclusion; durationMs: number }
  | { type: 'line'; job: string; step: string; line: string }
  | { type: 'approval'; job: string; environment: string; granted: boolean };

export interface ApprovalRequest {
  job: string;
  jobName: string;
  environment: string;
  /** The run's workflow file, for the prompt. */
  workflow: string;
}

/** A GitHub environment as the run sees it: protection and environment-scoped vars/secrets. */
export interface EnvironmentSettings {
  /** Required reviewers: the job waits for an approval. */
  reviewers?: boolean;
  vars?: Record<string, string>;
  secrets?: Record<string, string>;
}

export interface RunnerOptions {
  /** The event that triggered the run: name, plus workflow_dispatch inputs or a payload. */
  event?: {
    name: string;
    inputs?: Record<string, string | boolean | number>;
    payload?: Record<string, Value>;
    ref?: string;
    sha?: string;
  };
  vars?: Record<string, string>;
  secrets?: Record<string, string>;
  environments?: Record<string, EnvironmentSettings>;
  /** Decides a required-reviewers approval; without it every approval is rejected. */
  approve?: (request: ApprovalRequest) => Promise<boolean>;
  /** The checked-out repository (default: this repository's working tree). */
  workspace?: string;
  /** Target of the configure-aws-credentials stand-in. */
  awsEndpointUrl?: string;
  /** Extra variables every step process sees (as a self-hosted runner's environment would). */
  runnerEnv?: Record<string, string>;
  onEvent?: (e: RunEvent) => void;
}
