// The local workflow runner: runs one of our workflow files as GitHub would. Jobs start when
// their needs have finished (concurrently when several are ready), `if:` decides with the job
// status functions over all ancestors, environments with required reviewers wait for an approval
// (a rejection fails the job, so its dependents are skipped), one job per concurrency group runs at
// a time, and `uses: ./.github/workflows/x.yml` jobs run the called workflow's jobs with its
// inputs, secrets and outputs as workflow_call defines them.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { repoRoot } from '../harness/action-metadata.js';
import {
  condition,
  evaluateMap,
  evaluateString,
  evaluateToken,
  type Contexts,
  type Status,
  type Value,
} from './expressions.js';
import { loadWorkflow, type CallJobDef, type JobDef, type LoadedWorkflow, type StepsJobDef } from './load.js';
import { runStepsJob } from './steps-job.js';
import type { Conclusion, JobRecord, RunnerOptions, WorkflowRun } from './types.js';

interface JobState {
  result: Conclusion;
  outputs: Record<string, string>;
}

interface Scope {
  workflow: LoadedWorkflow;
  /** "" for the top workflow, "staging/" inside the workflow the staging job calls. */
  keyPrefix: string;
  namePrefix: string;
  github: Record<string, Value>;
  inputs: Record<string, Value>;
  secrets: Record<string, string>;
}

class RunError extends Error {}

/** Applies the declared types and defaults to given inputs, as workflow_dispatch and workflow_call do. */
function typedInputs(
  defs: Record<string, { type: string; required: boolean; default?: unknown; options?: string[] }>,
  given: Record<string, Value>,
  what: string,
): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const name of Object.keys(given))
    if (!(name in defs))
      throw new RunError(`${what}: Invalid input, ${name} is not defined in the referenced workflow.`);
  for (const [name, def] of Object.entries(defs)) {
    let v = given[name];
    if (v === undefined || v === null || v === '') {
      if (def.required && def.default === undefined)
        throw new RunError(`${what}: Input ${name} is required, but not provided while calling.`);
      v =
        (def.default as Value | undefined) ??
        (def.type === 'boolean' ? false : def.type === 'number' ? 0 : '');
    }
    if (def.type === 'boolean') {
      if (typeof v !== 'boolean' && v !== 'true' && v !== 'false')
        throw new RunError(`${what}: input ${name}: ${JSON.stringify(v)} is not a boolean`);
      v = v === true || v === 'true';
    } else if (def.type === 'number') {
      if (Number.isNaN(Number(v)))
        throw new RunError(`${what}: input ${name}: ${JSON.stringify(v)} is not a number`);
      v = Number(v);
    } else {
      v = typeof v === 'string' ? v : JSON.stringify(v);
      if (def.type === 'choice' && def.options && !def.options.includes(v))
        throw new RunError(
          `${what}: input ${name}: ${JSON.stringify(v)} is not one of ${def.options.join(', ')}`,
        );
    }
    out[name] = v;
  }
  return out;
}

export class WorkflowRunner {
  private readonly workspace: string;
  private readonly records: JobRecord[] = [];
  private readonly locks = new Map<string, Promise<void>>();
  private readonly tempRoot: string;
  private readonly masks = new Set<string>();

  constructor(private readonly options: RunnerOptions = {}) {
    this.workspace = options.workspace ?? repoRoot;
    this.tempRoot = mkdtempSync(join(tmpdir(), 'gaa-workflow-'));
    for (const s of Object.values(options.secrets ?? {})) this.masks.add(s);
    for (const e of Object.values(options.environments ?? {}))
      for (const s of Object.values(e.secrets ?? {})) this.masks.add(s);
  }

  /** Runs a workflow file (path relative to the workspace, or absolute) for the configured event. */
  async run(file: string): Promise<WorkflowRun> {
    try {
      const workflow = await loadWorkflow(resolve(this.workspace, file));
      const event = this.options.event ?? { name: 'workflow_dispatch' };
      if (!(event.name in workflow.template.events))
        throw new RunError(`${file} does not run on ${event.name}`);
      const inputs =
        event.name === 'workflow_dispatch'
          ? typedInputs(workflow.dispatchInputs, event.inputs ?? {}, file)
          : {};
      const sha = event.sha ?? '0123456789abcdef0123456789abcdef01234567';
      const ref = event.ref ?? 'refs/heads/main';
      const payload: Record<string, Value> =
        event.payload ??
        (event.name === 'workflow_dispatch'
          ? { inputs: Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, String(v)])) }
          : {});
      const github: Record<string, Value> = {
        event_name: event.name,
        event: payload,
        sha,
        ref,
        ref_name: ref.replace(/^refs\/(heads|tags)\//, ''),
        ref_type: ref.startsWith('refs/tags/') ? 'tag' : 'branch',
        repository: 'example/golden-ami',
        repository_owner: 'example',
        actor: 'local-runner',
        triggering_actor: 'local-runner',
        run_id: String(4242 + this.records.length),
        run_number: '1',
        run_attempt: '1',
        workflow: workflow.name,
        server_url: 'https://github.com',
        api_url: 'https://api.github.com',
        workspace: this.workspace,
        token: '***',
      };
      const jobs = await this.runJobs({
        workflow,
        keyPrefix: '',
        namePrefix: '',
        github,
        inputs,
        secrets: this.options.secrets ?? {},
      });
      const result: Conclusion = [...jobs.values()].some((j) => j.result === 'failure')
        ? 'failure'
        : 'success';
      return { file, name: workflow.name, result, jobs: this.records, outputs: {} };
    } finally {
      rmSync(this.tempRoot, { recursive: true, force: true });
    }
  }

  private async runJobs(scope: Scope): Promise<Map<string, JobState>> {
    const { workflow } = scope;
    const byId = new Map(workflow.jobs.map((j) => [j.id, j]));
    for (const j of workflow.jobs)
      for (const n of j.needs)
        if (!byId.has(n))
          throw new RunError(`${workflow.file}: job ${j.id} needs ${n}, which does not exist`);
    const ancestors = (id: string, seen = new Set<string>()): Set<string> => {
      for (const n of byId.get(id)?.needs ?? []) {
        if (seen.has(n)) continue;
        seen.add(n);
        ancestors(n, seen);
      }
      return seen;
    };
    for (const j of workflow.jobs)
      if (ancestors(j.id).has(j.id))
        throw new RunError(`${workflow.file}: job ${j.id} depends on itself through needs`);

    const states = new Map<string, JobState>();
    const running = new Map<string, Promise<JobState>>();
    const start = (job: JobDef): Promise<JobState> => {
      let p = running.get(job.id);
      if (!p) {
        p = (async () => {
          await Promise.all(job.needs.map((n) => start(byId.get(n)!)));
          const state = await this.runJob(job, scope, states, [...ancestors(job.id)]);
          states.set(job.id, state);
          return state;
        })();
        running.set(job.id, p);
      }
      return p;
    };
    await Promise.all(workflow.jobs.map(start));
    return states;
  }

  private async runJob(
    job: JobDef,
    scope: Scope,
    states: Map<string, JobState>,
    ancestors: string[],
  ): Promise<JobState> {
    const key = scope.keyPrefix + job.id;
    const needs: Record<string, Value> = {};
    for (const n of job.needs) needs[n] = { result: states.get(n)!.result, outputs: states.get(n)!.outputs };
    const vars = this.options.vars ?? {};
    const contexts: Contexts = {
      github: { ...scope.github, job: job.id },
      inputs: scope.inputs,
      vars,
      needs,
      secrets: scope.secrets,
    };
    const results = ancestors.map((a) => states.get(a)!.result);
    const status: Status = {
      success: () => results.every((r) => r === 'success'),
      failure: () => results.includes('failure'),
      cancelled: () => false,
    };
    const startedAt = Date.now();
    const record: JobRecord = {
      key,
      name: scope.namePrefix + job.id,
      result: 'skipped',
      outputs: {},
      steps: [],
      startedAt,
      durationMs: 0,
    };
    const finish = (state: JobState, error?: string): JobState => {
      Object.assign(
        record,
        { result: state.result, outputs: state.outputs, durationMs: Date.now() - startedAt },
        error ? { error } : {},
      );
      this.records.push(record);
      this.emit({
        type: 'job-end',
        job: key,
        name: record.name,
        result: state.result,
        outputs: state.outputs,
        durationMs: record.durationMs,
        ...(error ? { error } : {}),
      });
      return state;
    };
    try {
      record.name = scope.namePrefix + (job.name ? evaluateString(job.name, contexts) : job.id);
      if (!condition(job.if, contexts, status)) return finish({ result: 'skipped', outputs: {} });
      if (job.strategy && evaluateToken(job.strategy, contexts) !== null)
        throw new RunError(`job ${job.id}: strategy/matrix is not supported by the local runner`);
      this.emit({ type: 'job-start', job: key, name: record.name });
      if (job.kind === 'call') return finish(await this.runCall(job, scope, contexts, key, record));
      return finish(await this.runSteps(job, scope, contexts, key, record));
    } catch (err) {
      return finish({ result: 'failure', outputs: {} }, err instanceof Error ? err.message : String(err));
    }
  }

  private async runSteps(
    job: StepsJobDef,
    scope: Scope,
    contexts: Contexts,
    key: string,
    record: JobRecord,
  ): Promise<JobState> {
    // The environment gate comes first: a job waiting for reviewers holds no runner and no lock.
    const envValue = job.environment ? evaluateToken(job.environment, contexts) : null;
    const environment =
      typeof envValue === 'string'
        ? envValue
        : envValue && typeof envValue === 'object' && !Array.isArray(envValue)
          ? String(envValue.name ?? '')
          : '';
    const settings = environment ? this.options.environments?.[environment] : undefined;
    if (environment) record.environment = environment;
    if (settings?.reviewers) {
      const granted = this.options.approve
        ? await this.options.approve({
            job: key,
            jobName: record.name,
            environment,
            workflow: scope.workflow.file,
          })
        : false;
      record.approval = granted ? 'approved' : 'rejected';
      this.emit({ type: 'approval', job: key, environment, granted });
      if (!granted) throw new RunError(`The deployment to ${environment} was rejected`);
    }
    const envContexts: Contexts = {
      ...contexts,
      vars: { ...(contexts.vars as Record<string, string>), ...(settings?.vars ?? {}) },
      secrets: { ...scope.secrets, ...(settings?.secrets ?? {}), GITHUB_TOKEN: 'local-runner-token' },
    };
    const group = job.concurrency ? this.concurrencyGroup(job.concurrency, envContexts) : undefined;
    const release = group ? await this.lock(group) : () => undefined;
    try {
      const workflowEnv = evaluateMap(scope.workflow.env, envContexts);
      const minutes = job.timeoutMinutes ? Number(evaluateString(job.timeoutMinutes, envContexts)) : 360;
      const runnerTemp = mkdtempSync(join(this.tempRoot, `${key.replace(/\W/g, '_')}-`));
      const eventPath = join(runnerTemp, 'event.json');
      writeFileSync(eventPath, JSON.stringify(scope.github.event ?? {}));
      const defaults = this.runDefaults(scope.workflow, job, envContexts);
      const out = await runStepsJob(job, {
        key,
        name: record.name,
        contexts: { ...envContexts, env: workflowEnv },
        workspace: this.workspace,
        runnerTemp,
        baseEnv: this.baseEnv(scope, job.id, runnerTemp, eventPath),
        ...(this.options.awsEndpointUrl ? { awsEndpointUrl: this.options.awsEndpointUrl } : {}),
        masks: this.masks,
        defaults,
        deadline: Date.now() + minutes * 60_000,
        onLine: (step, line) => this.emit({ type: 'line', job: key, step, line }),
        onStep: (step, phase, conclusion, durationMs) =>
          this.emit(
            phase === 'start'
              ? { type: 'step-start', job: key, step }
              : { type: 'step-end', job: key, step, conclusion: conclusion!, durationMs: durationMs ?? 0 },
          ),
      });
      record.steps = out.steps;
      return { result: out.result, outputs: out.outputs };
    } finally {
      release();
    }
  }

  private async runCall(
    job: CallJobDef,
    scope: Scope,
    contexts: Contexts,
    key: string,
    record: JobRecord,
  ): Promise<JobState> {
    if (!job.uses.startsWith('./'))
      throw new RunError(
        `job ${job.id}: only local reusable workflows (./.github/workflows/…) can be run locally, not ${job.uses}`,
      );
    const called = await loadWorkflow(resolve(this.workspace, job.uses));
    const def = called.workflowCall;
    if (!def) throw new RunError(`${job.uses} does not declare on.workflow_call`);
    const given = (job.with ? evaluateToken(job.with, contexts) : {}) as Record<string, Value>;
    const inputs = typedInputs(def.inputs, given, job.uses);
    let secrets: Record<string, string>;
    if (job.inheritSecrets) secrets = { ...scope.secrets };
    else {
      secrets = evaluateMap(job.secrets, contexts);
      for (const name of Object.keys(secrets))
        if (!(name in def.secrets))
          throw new RunError(
            `${job.uses}: Invalid secret, ${name} is not defined in the referenced workflow.`,
          );
    }
    for (const [name, s] of Object.entries(def.secrets))
      if (s.required && !secrets[name])
        throw new RunError(`${job.uses}: Secret ${name} is required, but not provided while calling.`);
    const group = job.concurrency ? this.concurrencyGroup(job.concurrency, contexts) : undefined;
    const release = group ? await this.lock(group) : () => undefined;
    try {
      const states = await this.runJobs({
        workflow: called,
        keyPrefix: `${key}/`,
        namePrefix: `${record.name} / `,
        github: scope.github,
        inputs,
        secrets,
      });
      const jobs: Record<string, Value> = {};
      for (const [id, s] of states) jobs[id] = { result: s.result, outputs: s.outputs };
      const outputs: Record<string, string> = {};
      for (const [name, token] of Object.entries(def.outputs))
        outputs[name] = evaluateString(token, {
          github: scope.github,
          inputs,
          vars: contexts.vars ?? {},
          secrets,
          jobs,
        });
      const failed = [...states.values()].some((s) => s.result === 'failure');
      return { result: failed ? 'failure' : 'success', outputs };
    } finally {
      release();
    }
  }

  private concurrencyGroup(token: NonNullable<JobDef['concurrency']>, contexts: Contexts): string {
    const v = evaluateToken(token, contexts);
    return typeof v === 'string'
      ? v
      : v && typeof v === 'object' && !Array.isArray(v)
        ? String(v.group ?? '')
        : '';
  }

  /** One holder per concurrency group; later jobs queue (cancel-in-progress is not modelled). */
  private async lock(group: string): Promise<() => void> {
    const previous = this.locks.get(group) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    this.locks.set(
      group,
      previous.then(() => mine),
    );
    await previous;
    return release;
  }

  private runDefaults(
    workflow: LoadedWorkflow,
    job: StepsJobDef,
    contexts: Contexts,
  ): { shell?: string; workingDirectory?: string } {
    const read = (t: typeof job.defaults) => {
      const v = t ? evaluateToken(t, contexts) : null;
      const run = v && typeof v === 'object' && !Array.isArray(v) ? v.run : null;
      return run && typeof run === 'object' && !Array.isArray(run) ? run : {};
    };
    const merged = { ...read(workflow.defaults), ...read(job.defaults) };
    return {
      ...(typeof merged.shell === 'string' ? { shell: merged.shell } : {}),
      ...(typeof merged['working-directory'] === 'string'
        ? { workingDirectory: merged['working-directory'] }
        : {}),
    };
  }

  /** What a hosted runner puts in every step's environment; nothing leaks in from this shell. */
  private baseEnv(
    scope: Scope,
    jobId: string,
    runnerTemp: string,
    eventPath: string,
  ): Record<string, string> {
    const g = scope.github;
    return {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? runnerTemp,
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_EVENT_NAME: String(g.event_name),
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_REPOSITORY: String(g.repository),
      GITHUB_REPOSITORY_OWNER: String(g.repository_owner),
      GITHUB_SHA: String(g.sha),
      GITHUB_REF: String(g.ref),
      GITHUB_REF_NAME: String(g.ref_name),
      GITHUB_REF_TYPE: String(g.ref_type),
      GITHUB_RUN_ID: String(g.run_id),
      GITHUB_RUN_NUMBER: String(g.run_number),
      GITHUB_RUN_ATTEMPT: String(g.run_attempt),
      GITHUB_ACTOR: String(g.actor),
      GITHUB_SERVER_URL: String(g.server_url),
      GITHUB_API_URL: String(g.api_url),
      GITHUB_WORKFLOW: String(g.workflow),
      GITHUB_JOB: jobId,
      GITHUB_WORKSPACE: this.workspace,
      RUNNER_OS: 'Linux',
      RUNNER_ARCH: 'X64',
      RUNNER_NAME: 'local-runner',
      RUNNER_TEMP: runnerTemp,
      ...(this.options.runnerEnv ?? {}),
    };
  }

  private emit(e: Parameters<NonNullable<RunnerOptions['onEvent']>>[0]): void {
    this.options.onEvent?.(e);
  }
}

/** Runs one workflow file once. */
export async function runWorkflow(file: string, options: RunnerOptions = {}): Promise<WorkflowRun> {
  return new WorkflowRunner(options).run(file);
}
