// Least privilege: localcloud enforces each action's actions/<name>/iam-policy.json (as account
// 123456789012, the account the policies name). Every scenario of the action must pass under exactly
// that policy; with any one statement removed, some scenario must fail (proved by running it again);
// and every IAM action the policy lists must be what allowed at least one call the scenarios made
// (replayed against the recorded authorizations with that action removed).
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXAMPLE, renderPolicy, type Pipeline } from '../scripts/render-iam-policies.js';
import { repoRoot } from '../test/harness/action-metadata.js';
import { evaluate, statements, type PolicyDocument, type Statement } from '../test/localcloud/iam.js';
import type { AuthRecord } from '../test/localcloud/iam-authorizer.js';
import { startCloud } from './cloud.js';
import { SCENARIOS, type Scenario } from './privilege-scenarios.js';
import type { BenchOptions, Figure, Section } from './report.js';

const ACCOUNT = '123456789012';

export interface ScenarioRun {
  failure?: string;
  records: AuthRecord[];
}

async function runScenario(scenario: Scenario, policy: PolicyDocument, seed: number): Promise<ScenarioRun> {
  const cloud = await startCloud({ ...scenario.start, accountId: ACCOUNT, seed });
  const iam = cloud.lc.iam;
  const dir = mkdtempSync(join(tmpdir(), 'gaa-bench-iam-'));
  try {
    cpSync(join(repoRoot, 'image'), join(dir, 'image'), { recursive: true });
    const failure = await scenario
      .run({ cloud, dir, enforce: (on) => iam.setPolicy(on ? policy : null) })
      .catch((err: unknown) => `scenario error: ${err instanceof Error ? err.message : String(err)}`);
    return { ...(failure ? { failure } : {}), records: [...iam.records] };
  } finally {
    await cloud.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Would any call these runs were allowed be denied under `policy`? */
export const deniedUnder = (policy: PolicyDocument, runs: ScenarioRun[]) =>
  runs.map((r) =>
    r.records.some((rec) => rec.allowed && rec.checks.some((c) => !evaluate(policy, c).allowed)),
  );

const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : s.Action ? [s.Action] : []);
const label = (s: Statement, i: number) => s.Sid ?? `statement ${i}`;
/** A policy without statements allows nothing; IAM wants at least one, so say so with a Deny. */
const NOTHING: Statement = { Effect: 'Deny', Action: 'localcloud:Nothing', Resource: '*' };
export const withStatements = (policy: PolicyDocument, list: Statement[]): PolicyDocument => ({
  ...policy,
  Statement: list.length ? list : [NOTHING],
});

/** The pipeline each action's scenarios are: the shipped policies rendered for it. */
const PIPELINES: Record<string, Partial<Pipeline>> = {
  // Any VPC: each scenario's cloud makes its own default VPC.
  'bake-ami': { bakeName: 'web', builderVpc: '*' },
  'retire-amis': { bakeName: 'api', parameter: '/golden-ami/api' },
};

const readPolicy = (action: string, file: string) =>
  renderPolicy(JSON.parse(readFileSync(join(repoRoot, 'actions', action, file), 'utf8')) as PolicyDocument, {
    ...EXAMPLE,
    account: ACCOUNT,
    ...PIPELINES[action],
  });

async function checkAction(action: string, opts: BenchOptions): Promise<Figure[]> {
  // bake-ami's Packer statements live in an optional second policy: its scenarios (Packer
  // included) run under both, as a Packer user attaches both. localcloud's Packer is Debian's 1.6.6,
  // so the policy made for it (iam-policy-packer.json asks for the plugin's tags at creation).
  const extra = join(repoRoot, 'actions', action, 'iam-policy-packer-1.6.json');
  const base = readPolicy(action, 'iam-policy.json');
  const policy = existsSync(extra)
    ? withStatements(base, [
        ...statements(base),
        ...statements(readPolicy(action, 'iam-policy-packer-1.6.json')),
      ])
    : base;
  const scenarios = SCENARIOS[action]!.filter((s) => !(opts.quick && s.slow));
  const all = statements(policy);

  const full: ScenarioRun[] = [];
  for (const s of scenarios) {
    const t = Date.now();
    full.push(await runScenario(s, policy, opts.seed));
    opts.log(
      `  ${action}: "${s.name}" ${full.at(-1)!.failure ? 'FAILED' : 'passed'} in ${Date.now() - t} ms`,
    );
  }
  const failures = full
    .map((r, i) =>
      r.failure ? `${scenarios[i]!.name}: ${r.failure.replace(/\s+/g, ' ').slice(0, 400)}` : '',
    )
    .filter(Boolean);
  const tolerated = full
    .flatMap((r) => r.records.filter((rec) => !rec.allowed))
    .map((rec) => `${rec.service}:${rec.operation}`);

  // Each statement removed: replay says which scenarios could notice; run those until one fails. Only
  // a scenario that passed under the whole policy can prove a statement needed.
  const unneeded: string[] = [];
  for (const [i, s] of all.entries()) {
    const reduced = withStatements(
      policy,
      all.filter((_, j) => j !== i),
    );
    const affected = deniedUnder(reduced, full).map((hit, k) => hit && !full[k]!.failure);
    let proven = false;
    // --quick trusts the replay: a statement some recorded call needed counts as needed.
    if (opts.quick) proven = affected.some(Boolean);
    for (const [k, scenario] of scenarios.entries()) {
      if (proven || !affected[k]) continue;
      const again = await runScenario(scenario, reduced, opts.seed);
      if (again.failure) {
        opts.log(
          `  ${action} without ${label(s, i)}: "${scenario.name}" fails: ${again.failure.replace(/\s+/g, ' ').slice(0, 160)}`,
        );
        proven = true;
      }
    }
    if (!proven) unneeded.push(label(s, i));
  }

  // Each IAM action removed from its statement: replayed, not re-run.
  let listed = 0;
  const unused: string[] = [];
  for (const [i, s] of all.entries()) {
    for (const a of actionsOf(s)) {
      listed++;
      const without = actionsOf(s).filter((x) => x !== a);
      const reduced = withStatements(
        policy,
        without.length
          ? all.map((t, j) => (j === i ? { ...t, Action: without } : t))
          : all.filter((_, j) => j !== i),
      );
      if (!deniedUnder(reduced, full).some(Boolean)) unused.push(a);
    }
  }

  const passed = scenarios.length - failures.length;
  return [
    {
      metric: `${action}: scenarios passing under exactly iam-policy.json`,
      ours: `${passed}/${scenarios.length}`,
      target: 'all',
      met: passed === scenarios.length,
      note: failures.length
        ? failures.join(' / ').replace(/\|/g, '/')
        : scenarios.map((s) => s.name).join('; '),
    },
    {
      metric: `${action}: statements whose removal fails a scenario${opts.quick ? ' (replayed, --quick)' : ''}`,
      ours: `${all.length - unneeded.length}/${all.length}`,
      target: 'all',
      met: unneeded.length === 0,
      ...(unneeded.length ? { note: `not proven needed by a passing scenario: ${unneeded.join(', ')}` } : {}),
    },
    {
      metric: `${action}: IAM actions in the policy that allowed a call`,
      ours: `${listed - unused.length}/${listed}`,
      target: 'all',
      met: unused.length === 0,
      ...(unused.length ? { note: `unused: ${unused.join(', ')}` } : {}),
    },
    {
      metric: `${action}: calls denied under the policy (and tolerated)`,
      ours: tolerated.length,
      target: '0',
      met: tolerated.length === 0,
      ...(tolerated.length ? { note: [...new Set(tolerated)].join(', ') } : {}),
    },
  ];
}

export async function leastPrivilege(opts: BenchOptions): Promise<Omit<Section, 'ms'>> {
  const figures: Figure[] = [];
  for (const action of Object.keys(SCENARIOS)) figures.push(...(await checkAction(action, opts)));
  return { name: 'least privilege (each action under its iam-policy.json)', figures };
}
