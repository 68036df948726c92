// The deploy-ami inputs: the union of what promote → roll → wait (and the optional reap) need for
// one environment. Defaults are the strings the root action.yml declares (a test compares them).
import { boolean, choice, decimal, integer, list, string } from '../core/input-fields.js';
import { defineAction, pickFields, type Inputs } from '../core/inputs.js';
import { rollSpec } from '../roll/inputs.js';
import { regionInput } from '../aws/regions.js';
import { waitHealthySpec } from '../health/inputs.js';

const seconds = (o: { default: string; min: number; max: number }) =>
  decimal({ ...o, what: 'number of seconds' });

const AMI_ID = /^ami-([0-9a-f]{8}|[0-9a-f]{17})$/;
/** SSM label rules: not starting with a digit, "aws" or "ssm"; letters, digits, . - _ ; at most 100. */
const LABEL = /^(?![0-9])(?!aws)(?!ssm)[A-Za-z0-9_.-]{1,100}$/i;

export const deploySpec = defineAction({
  name: 'deploy-ami',
  inputs: {
    // What to deploy and where it is recorded (promote-ami-parameter).
    'ami-id': string({
      required: true,
      pattern: AMI_ID,
      accepted: 'an AMI id such as ami-0123456789abcdef0',
    }),
    'parameter-name': string({
      required: true,
      pattern: /^\/?[\w.\-/]{1,1011}$/,
      accepted: 'an SSM parameter name such as /golden-ami/web',
    }),
    environment: string({
      required: true,
      pattern: /^[\w.-]{1,100}$/,
      accepted: 'an environment name such as staging',
    }),
    label: string({
      pattern: LABEL,
      accepted: 'an SSM parameter label: letters, digits, . - _, not starting with a digit, aws or ssm',
    }),
    'expected-current': string({ pattern: AMI_ID, accepted: 'an AMI id such as ami-0123456789abcdef0' }),
    'allow-older': boolean({ default: 'false' }),
    region: regionInput(),

    // Which groups to roll (roll-asg); by default every group tagged Environment=<environment>.
    ...pickFields(rollSpec.inputs, [
      'asg-names',
      'asg-tags',
      'min-healthy-percentage',
      'max-healthy-percentage',
      'instance-warmup',
      'checkpoint-percentages',
      'checkpoint-delay',
      'skip-matching',
      'auto-rollback',
      'bake-time',
      'if-refresh-in-progress',
    ]),

    // How to prove the fleet healthy (wait-healthy).
    'health-url': string({
      pattern: /^https?:\/\/\{(private-ip|private-dns)\}(:\d{1,5})?(\/[^\s]*)?$/,
      accepted:
        'an http(s) URL whose host is {private-ip} or {private-dns}, e.g. http://{private-ip}:8080/version',
    }),
    'expected-version': string({ maxLength: 200 }),
    'unhealthy-grace-seconds': integer({ default: '300', min: 0, max: 86_400 }),
    'timeout-minutes': integer({ default: '60', min: 1, max: 1440 }),
    'rollback-on-failure': boolean({ default: 'true' }),
    'poll-interval-seconds': seconds({ default: '15', min: 0.1, max: 3600 }),
    'max-poll-interval-seconds': seconds({ default: '60', min: 0.1, max: 3600 }),
    ...pickFields(waitHealthySpec.inputs, ['events-queue-url']),

    // Optional Octopus clean-up once the fleet is healthy (reap-octopus-orphans).
    reap: boolean({ default: 'false' }),
    'octopus-url': string({
      env: ['OCTOPUS_URL'],
      pattern: /^https?:\/\/\S+$/,
      accepted: 'the Octopus server URL (https://octopus.example.com)',
    }),
    'octopus-api-key': string({ env: ['OCTOPUS_API_KEY'], secret: true }),
    'octopus-access-token': string({ env: ['OCTOPUS_ACCESS_TOKEN'], secret: true }),
    space: string({ default: 'Default', maxLength: 200 }),
    'octopus-environments': list({ unique: true, accepted: 'Octopus environment names' }),
    'max-reap': integer({ default: '10', min: 0, max: 10_000 }),
    // Above reap-octopus-orphans' 50: right after a refresh about half the mapped targets are the replaced instances'.
    'max-reap-percent': integer({ default: '75', min: 0, max: 100 }),
    'reap-failure': choice(['warn', 'fail'] as const, { default: 'warn' }),

    'dry-run': boolean({ default: 'false' }),
  },
  outputs: [
    'previous-ami-id',
    'version',
    'changed',
    'refreshes',
    'asg-names',
    'status',
    'results',
    'reaped-count',
  ],
  rules: [
    { atMostOne: ['octopus-api-key', 'octopus-access-token'] },
    { requires: ['checkpoint-delay', 'checkpoint-percentages'] },
    { requires: ['expected-version', 'health-url'] },
  ],
  check(v, problem) {
    if (v.reap && !v.octopusUrl) problem('octopus-url: is required with reap: true (or set OCTOPUS_URL)');
    if (v.reap && !v.octopusApiKey && !v.octopusAccessToken)
      problem(
        'octopus-api-key: one of octopus-api-key, octopus-access-token is required with reap: true (or set OCTOPUS_API_KEY)',
      );
    if (v.minHealthyPercentage > v.maxHealthyPercentage)
      problem(
        `min-healthy-percentage (${v.minHealthyPercentage}) is above max-healthy-percentage (${v.maxHealthyPercentage}); accepted: min at most max`,
      );
    const cps = v.checkpointPercentages.map(Number);
    if (
      cps.length &&
      (cps.some((p, i) => p < 1 || p > 100 || (i > 0 && p <= cps[i - 1]!)) || cps[cps.length - 1] !== 100)
    )
      problem(
        `checkpoint-percentages: ${cps.join(',')} is not accepted; expected ascending percentages from 1 to 100 ending in 100, such as 20,50,100`,
      );
  },
});

export type DeployInputs = Inputs<typeof deploySpec.inputs>;

/** The groups to roll: the given names/tags, or every group tagged Environment=<environment>. */
export function groupSelection(v: DeployInputs): { asgNames: string[]; asgTags: Record<string, string> } {
  if (v.asgNames.length || Object.keys(v.asgTags).length) return { asgNames: v.asgNames, asgTags: v.asgTags };
  return { asgNames: [], asgTags: { Environment: v.environment } };
}
