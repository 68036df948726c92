// Bad inputs across every action, each run as the runner runs it against localcloud: the step must
// fail with an error that names the input, and make no mutating call (localcloud's mutation log,
// AWS and Octopus). The design asks for more: every input is checked before any call at all, so
// calls of any kind are counted too.
import { startCloud, type BenchCloud } from './cloud.js';
import type { BenchOptions, Figure, Section } from './report.js';
import { runStep } from './steps.js';

const AMI = 'ami-0123456789abcdef0';
const REFRESH = { region: 'us-east-1', group: 'web', refreshId: 'r-1', amiId: AMI };

/** A valid starting point per action: each case changes one thing. */
const BASE: Record<string, Record<string, string>> = {
  'bake-ami': { name: 'web', 'source-ami': AMI, 'user-data': '#!/bin/bash\nshutdown -h now' },
  'promote-ami-parameter': { 'parameter-name': '/golden-ami/web', 'ami-id': AMI },
  'roll-asg': { 'asg-names': 'web', 'ami-id': AMI },
  'wait-healthy': { 'asg-names': 'web' },
  'reap-octopus-orphans': { environments: 'Production' },
  'retire-amis': { names: 'web' },
  'deploy-ami': { 'ami-id': AMI, 'parameter-name': '/golden-ami/web', environment: 'staging' },
};

interface Case {
  action: string;
  /** Inputs set over the base; `null` removes a base input. */
  set: Record<string, string | null>;
  /** Inputs the error must name (every one of them). */
  names: string[];
  /** Environment variables removed (the runner would not set them). */
  unset?: string[];
}

const c = (action: string, set: Record<string, string | null>, names?: string[], unset?: string[]): Case => ({
  action,
  set,
  names: names ?? Object.keys(set),
  ...(unset ? { unset } : {}),
});

export const CASES: Case[] = [
  // bake-ami
  c('bake-ami', { name: null }, ['name']),
  c('bake-ami', { name: 'web<1>' }),
  c('bake-ami', { name: 'a'.repeat(114) }),
  c('bake-ami', { 'source-ami': 'ami-xyz' }),
  c('bake-ami', { 'source-ami-filter': 'al2023-ami-*' }, ['source-ami', 'source-ami-filter']),
  c('bake-ami', { 'source-ami': null }, ['source-ami', 'source-ami-filter']),
  c('bake-ami', { region: 'mars-1' }),
  c('bake-ami', { 'instance-type': 'big' }),
  c('bake-ami', { 'subnet-id': 'sub-123' }),
  c('bake-ami', { 'volume-size': '0' }),
  c('bake-ami', { encrypted: 'yes' }),
  c('bake-ami', { timeout: '0m' }),
  c('bake-ami', { tags: 'team' }),
  c('bake-ami', { tags: 'aws:x=1' }),
  c('bake-ami', { 'share-with-accounts': '1234' }),
  c('bake-ami', { engine: 'imagebuilder' }),
  c('bake-ami', { 'user-data': 'x'.repeat(16 * 1024 + 1) }),
  c('bake-ami', { 'poll-interval': 'fast' }),
  c('bake-ami', { 'copy-to-regions': 'mars-1' }),
  c('bake-ami', { platform: 'macos' }),
  c('bake-ami', { 'reuse-if-unchanged': 'maybe' }),
  c('bake-ami', { 'user-data-file': 'image/linux/user-data.sh' }, ['user-data', 'user-data-file']),
  // promote-ami-parameter
  c('promote-ami-parameter', { 'parameter-name': null }, ['parameter-name']),
  c('promote-ami-parameter', { 'parameter-name': 'has space' }),
  c('promote-ami-parameter', { 'ami-id': 'ami-xyz' }),
  c('promote-ami-parameter', { label: '1st' }),
  c('promote-ami-parameter', { label: 'aws-prod' }),
  c('promote-ami-parameter', { 'allow-older': 'yes' }),
  c('promote-ami-parameter', { 'poll-interval': 'fast' }),
  c('promote-ami-parameter', { 'expected-current': 'latest' }),
  c('promote-ami-parameter', { amis: `{"us-east-1":"${AMI}"}` }, ['ami-id', 'amis']),
  c('promote-ami-parameter', { 'ami-id': null }, ['ami-id', 'amis']),
  c('promote-ami-parameter', { regions: 'us-east-1' }),
  c('promote-ami-parameter', { 'ami-id': null, amis: '{}' }, ['amis']),
  c('promote-ami-parameter', { 'validation-timeout': '0' }),
  c('promote-ami-parameter', { 'dry-run': 'perhaps' }),
  // roll-asg
  c('roll-asg', { 'ami-id': 'ami-XYZ' }),
  c('roll-asg', { 'ami-parameter': '/golden-ami/web' }, ['ami-id', 'ami-parameter']),
  c('roll-asg', { 'asg-names': null }, ['asg-names', 'asg-tags']),
  c('roll-asg', { 'asg-tags': 'Environment' }),
  c('roll-asg', { 'min-healthy-percentage': '101' }),
  c('roll-asg', { 'max-healthy-percentage': '250' }),
  c('roll-asg', { 'checkpoint-percentages': '50,20,100' }),
  c('roll-asg', { 'checkpoint-delay': '600' }),
  c('roll-asg', { 'if-refresh-in-progress': 'ignore' }),
  c('roll-asg', { 'max-concurrency': '0' }),
  c('roll-asg', { 'instance-warmup': 'soon' }),
  c('roll-asg', { 'scale-in-protected-instances': 'Maybe' }),
  c('roll-asg', { wait: 'sometimes' }),
  c('roll-asg', { regions: 'earth' }),
  c('roll-asg', { timeout: '0m' }),
  // wait-healthy
  c('wait-healthy', { 'asg-names': null, refreshes: '[{"region":"eu-west-1"}]' }, ['refreshes']),
  c('wait-healthy', { 'asg-names': null, refreshes: 'not json' }, ['refreshes']),
  c('wait-healthy', { 'asg-names': null, refreshes: JSON.stringify([REFRESH, REFRESH]) }, ['refreshes']),
  c('wait-healthy', { refreshes: JSON.stringify([REFRESH]) }, ['refreshes', 'asg-names']),
  c('wait-healthy', { 'asg-names': null }, ['refreshes', 'asg-names', 'asg-tags']),
  c('wait-healthy', { 'health-url': 'http://10.0.0.1/version' }),
  c('wait-healthy', { 'max-requests-per-second': 'fast' }),
  c('wait-healthy', { 'poll-interval': '0' }),
  c('wait-healthy', { 'rollback-on-failure': 'yes' }),
  c('wait-healthy', { 'expected-version': '1.2.3' }),
  c('wait-healthy', { 'poll-interval': '30', 'max-poll-interval': '10' }, ['max-poll-interval']),
  c('wait-healthy', { 'expected-ami-id': 'ami-nope' }),
  c('wait-healthy', { timeout: '-1m' }),
  // reap-octopus-orphans
  c('reap-octopus-orphans', { environments: null }, ['environments']),
  c('reap-octopus-orphans', { 'match-by': 'mac-address' }),
  c('reap-octopus-orphans', { 'reap-states': 'running' }),
  c('reap-octopus-orphans', { 'max-reap': '-1' }),
  c('reap-octopus-orphans', { 'max-reap-percent': '150' }),
  c('reap-octopus-orphans', { 'instance-id-pattern': 'i-([0-9' }),
  c('reap-octopus-orphans', { 'dry-run': 'perhaps' }),
  c('reap-octopus-orphans', { 'octopus-url': 'not a url' }),
  c('reap-octopus-orphans', { regions: 'mars-1' }),
  c('reap-octopus-orphans', {}, ['octopus-api-key', 'octopus-access-token'], ['OCTOPUS_API_KEY']),
  // retire-amis
  c('retire-amis', { names: null }, ['names']),
  c('retire-amis', { names: 'web,bad|name' }, ['names']),
  c('retire-amis', { 'keep-count': '0' }),
  c('retire-amis', { 'keep-for': 'two weeks' }),
  c('retire-amis', { 'deregister-after': '0d' }),
  c('retire-amis', { parameters: 'not a parameter!' }),
  c('retire-amis', { 'launch-template-versions': '10001' }),
  c('retire-amis', { 'max-retire-percent': '101' }),
  c('retire-amis', { 'include-shared': 'maybe' }),
  c('retire-amis', { regions: 'mars-1' }),
  c('retire-amis', { 'dry-run': 'perhaps' }),
  // deploy-ami (root)
  c('deploy-ami', { 'ami-id': 'ami-xyz' }),
  c('deploy-ami', { environment: null }, ['environment']),
  c('deploy-ami', { 'min-healthy-percentage': '-1' }),
  c('deploy-ami', { 'health-url': 'ftp://{private-ip}/' }),
  c('deploy-ami', { 'if-refresh-in-progress': 'later' }),
  c('deploy-ami', { label: '1st' }),
  c('deploy-ami', { reap: 'true', 'max-reap': 'many' }, ['max-reap']),
  c('deploy-ami', { 'unhealthy-grace': 'a while' }),
];

interface Outcome {
  case: Case;
  named: boolean;
  mutations: number;
  calls: number;
  error: string;
}

function inputsOf(k: Case): Record<string, string> {
  const inputs = { ...BASE[k.action] };
  for (const [name, value] of Object.entries(k.set)) {
    if (value === null) delete inputs[name];
    else inputs[name] = value;
  }
  return inputs;
}

async function runCase(cloud: BenchCloud, k: Case, i: number): Promise<Outcome> {
  const env: Record<string, string | undefined> = { ...cloud.env() };
  for (const name of k.unset ?? []) env[name] = undefined;
  const before = {
    mutations: cloud.lc.logs.mutations.query().length,
    octopus: cloud.lc.octopus.logs.mutations.length,
  };
  const r = await runStep(`bad input ${i + 1}`, k.action, {
    env,
    inputs: inputsOf(k),
    post: false,
    timeoutMs: 60_000,
  });
  const error = r.errors.join(' | ');
  return {
    case: k,
    named: r.exitCode === 1 && k.names.every((n) => error.includes(n)),
    mutations:
      cloud.lc.logs.mutations.query().length -
      before.mutations +
      (cloud.lc.octopus.logs.mutations.length - before.octopus),
    calls: 0,
    error: error || r.log.trim().split('\n').at(-1) || `exit ${r.exitCode}`,
  };
}

const shown = (v: string | null) =>
  v === null ? '(removed)' : v.length > 40 ? `${v.slice(0, 37)}… (${v.length} chars)` : v;

export async function badInputs(opts: BenchOptions): Promise<Omit<Section, 'ms'>> {
  const cloud = await startCloud({ seed: opts.seed });
  const outcomes: Outcome[] = [];
  try {
    // One at a time: a call in the log then belongs to exactly one case.
    for (const [i, k] of CASES.entries()) {
      const before = cloud.mark();
      const o = await runCase(cloud, k, i);
      outcomes.push({ ...o, calls: cloud.lc.logs.calls.query({ since: before }).length });
    }
  } finally {
    await cloud.stop();
  }
  const named = outcomes.filter((o) => o.named).length;
  const clean = outcomes.filter((o) => o.mutations === 0).length;
  const silent = outcomes.filter((o) => o.calls === 0).length;
  const n = outcomes.length;
  const actions = new Set(CASES.map((k) => k.action)).size;
  const figures: Figure[] = [
    {
      metric: `bad inputs across ${actions} actions: step failed naming the input`,
      ours: `${named}/${n}`,
      target: `all, ≥ 50 cases`,
      met: named === n && n >= 50,
    },
    { metric: 'bad inputs: zero mutating calls', ours: `${clean}/${n}`, target: 'all', met: clean === n },
    {
      metric: 'bad inputs: no API call at all (checked before any call)',
      ours: `${silent}/${n}`,
      target: 'all',
      met: silent === n,
    },
  ];
  for (const o of outcomes) {
    const what = Object.entries(o.case.set).map(([k, v]) => `${k}: ${shown(v)}`);
    if (o.case.unset) what.push(`no ${o.case.unset.join(', ')}`);
    figures.push({
      metric: `${o.case.action} — ${what.join(', ')}`,
      ours: o.error.replace(/\|/g, '/').slice(0, 160),
      met: o.named && o.mutations === 0,
      ...(o.calls ? { note: `${o.calls} API call(s), ${o.mutations} mutating` } : {}),
    });
  }
  opts.log(
    `  bad inputs: ${named}/${n} named, ${clean}/${n} without mutations, ${silent}/${n} without any call`,
  );
  return { name: 'bad inputs', figures };
}
