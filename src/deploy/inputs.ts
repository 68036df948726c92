// The deploy-ami inputs: the union of what promote → roll → wait (and the optional reap) need for
// one environment. Defaults are the strings the root action.yml declares (a test compares them).
import { amiId, boolean, choice, duration, integer, list, region, string } from '../core/input-fields.js';
import { definePart, partProblems } from '../core/compose.js';
import { defineAction, pickFields, type Inputs } from '../core/inputs.js';
import { promoteSpec } from '../promote/inputs.js';
import { rollSpec } from '../roll/inputs.js';
import { waitHealthySpec } from '../health/inputs.js';
import { LABEL, PARAMETER_NAME, PARAMETER_NAME_ACCEPTED } from '../promote/inputs.js';
import { amisField, regionWavesField, wavesProblems } from './region-inputs.js';
import { queueRegion } from '../health/queue-url.js';

const deployFields = {
  // What to deploy and where it is recorded (promote-ami-parameter).
  'ami-id': amiId({
    description:
      'The AMI to deploy (ami-...) in `region`, typically the `ami-id` output of bake-ami. Give exactly one of ami-id and amis.',
  }),
  amis: amisField(
    "The AMI to deploy in each region: bake-ami's `amis` output as is (a JSON object region -> AMI id), or `region=ami-...` lines. Each region gets its parameter, label, groups and reaping; one plan covers every region before any change, and a failure anywhere puts every region back. Give exactly one of ami-id and amis.",
  ),
  'region-waves': regionWavesField(
    'With amis: the order regions are deployed in, one wave per line (or separated by `;`), the regions of a wave comma-separated, for example `us-east-1` then `eu-west-1,ap-southeast-2`. A wave starts only once every region of the one before is proven healthy; the regions of a wave roll in parallel. Every region of amis in exactly one wave. Default: every region in one wave.',
  ),
  'parameter-name': string({
    description:
      'The SSM parameter that records the AMI (created with DataType aws:ec2:image when missing), for example `/golden-ami/web`.',
    required: true,
    // As promote-ami-parameter: AWS takes a name with a path only with its leading slash.
    pattern: PARAMETER_NAME,
    maxLength: 1011,
    accepted: PARAMETER_NAME_ACCEPTED,
  }),
  environment: string({
    description:
      'The environment deployed to, for example `staging` or `production`. It is the default parameter label, the default group selection (`Environment=<environment>`) and the default Octopus environment.',
    required: true,
    pattern: /^[\w.-]{1,100}$/,
    accepted: 'an environment name such as staging',
  }),
  label: string({
    description:
      'The parameter label that records what the environment runs, moved to the AMI once the fleet is proven healthy (first, and put back on failure, when a group takes its image from this parameter). Default: the environment name.',
    pattern: LABEL,
    accepted: 'an SSM parameter label: letters, digits, . - _, not starting with a digit, aws or ssm',
  }),
  // promote-ami-parameter's: an AMI id or none, or with amis a JSON map region -> AMI id (or none).
  ...pickFields(promoteSpec.inputs, {
    'expected-current':
      'Compare-and-swap: fail and change nothing unless the parameter currently holds this AMI (`none`: unless it does not exist yet). With amis, a JSON map region -> AMI id (or none), an entry for every region. Without it the record still compares against what the plan read: a parameter or label another writer moved since then is not written over (the run is put back).',
  }),
  'allow-older': boolean({
    description:
      "Allow an AMI older than the one the environment label points at (the parameter's newest value when the label does not exist yet): set it to true for a rollback.",
    default: 'false',
  }),
  region: region('AWS region. Defaults to AWS_REGION / AWS_DEFAULT_REGION.'),
  // Provenance: only AMIs this pipeline baked, unless told (promote-ami-parameter's fields).
  ...pickFields(promoteSpec.inputs, { 'allowed-owners': true, 'allow-foreign-ami': true }),

  // Which groups to roll (roll-asg); by default every group tagged Environment=<environment>.
  ...pickFields(rollSpec.inputs, {
    'asg-names':
      'Auto Scaling group names to roll, one per line or comma-separated. Default: the groups tagged `Environment=<environment>`.',
    'asg-tags':
      'Select groups to roll by tags, `Key=Value` one per line or comma-separated; a group must carry every tag. Default: `Environment=<environment>`.',
    'min-healthy-percentage':
      "Instance refresh MinHealthyPercentage (0-100). Empty: the group's instance maintenance policy, else AWS's 90.",
    'max-healthy-percentage':
      "Instance refresh MaxHealthyPercentage (100-200): above 100 new instances launch before old ones terminate. Needs min-healthy-percentage. Empty: the group's instance maintenance policy, else AWS's 100.",
    'instance-warmup':
      "Instance refresh InstanceWarmup in whole seconds, as a number or a duration (90, 5m). Empty: the group's default.",
    'checkpoint-percentages':
      'Instance refresh CheckpointPercentages: ascending whole percentages ending in 100 (for example `20,50,100`).',
    'checkpoint-delay':
      'Instance refresh CheckpointDelay in whole seconds, as a number or a duration (600, 10m). Needs checkpoint-percentages.',
    'skip-matching':
      'Instance refresh SkipMatching: leave instances already on the AMI; groups already current are not refreshed.',
    'auto-rollback':
      'Instance refresh AutoRollback: AWS rolls a failed refresh back to the previous launch template version.',
    'bake-time': 'Instance refresh BakeTime in whole seconds, as a number or a duration (300, 5m).',
    'set-default-version':
      "Once the fleet is proven healthy, make the new launch template version the template's default, so a group that followed `$Default` follows it again (without it such a group stays on the version's number, with a warning). Put back on failure.",
    'if-refresh-in-progress':
      'When a group already has an active instance refresh: `fail`, `wait` or `cancel`.',
    alarms: true,
    'scale-in-protected-instances': true,
    'standby-instances': true,
  }),

  // How to prove the fleet healthy (wait-healthy's fields, bounds and defaults).
  ...pickFields(waitHealthySpec.inputs, {
    'health-url':
      'Optional HTTP check of every instance, a URL template whose host is `{private-ip}` or `{private-dns}`, for example `http://{private-ip}:8080/version`.',
    'expected-version': "With health-url: text every instance's response body must contain.",
    'unhealthy-grace':
      'How long an instance may stay unhealthy before the wait fails, a duration such as 90s or 5m (a bare number is seconds).',
    timeout:
      'Bound on the wait for a healthy fleet, a duration with its unit such as 90m or 1h (a bare number is refused: it would be seconds).',
    'rollback-on-failure':
      'On failure or timeout, roll the instance refresh back where AWS allows it and wait for the rollback; when a check fails after the refresh already ended Successful, start a refresh back to the previous launch template version.',
    'poll-interval': true,
    'max-poll-interval':
      'Longest time between two polls of a group, a duration such as 60s or 2m (a bare number is seconds): the wait backs off up to it while nothing changes.',
    'events-queue-url':
      "Optional SQS queue fed by an EventBridge rule with Auto Scaling's instance refresh events (see wait-healthy's README): the wait long-polls it and looks at a refresh as soon as an event names it, polling every max-poll-interval as the safety net; an unreadable queue is one warning, then polling.",
  }),

  'put-back-timeout': duration({
    description:
      'How long putting back a failed or cancelled deployment keeps retrying a call AWS throttles, answers with 5xx or drops, a duration with its unit such as 5m (a bare number is refused: it would be seconds); what still fails is listed with the AWS CLI command that finishes it. Refreshes back are waited for up to timeout.',
    default: '5m',
    whole: false,
    min: 60,
    max: 3600,
    formerly: { name: 'put-back-minutes', unit: 'm' },
  }),

  // Optional Octopus clean-up once the fleet is healthy (reap-octopus-orphans).
  reap: boolean({
    description:
      'Once the fleet is proven healthy, delete the Octopus targets of this environment whose EC2 instances are gone. Its refusals and errors are warnings unless reap-failure is fail.',
    default: 'false',
  }),
  'octopus-url': string({
    description:
      'Octopus server URL (with reap). Defaults to OCTOPUS_URL, as exported by OctopusDeploy/login.',
    env: ['OCTOPUS_URL'],
    pattern: /^https?:\/\/\S+$/,
    accepted: 'the Octopus server URL (https://octopus.example.com)',
  }),
  'octopus-api-key': string({
    description:
      'Octopus API key (with reap). Defaults to OCTOPUS_API_KEY. Give this or octopus-access-token.',
    env: ['OCTOPUS_API_KEY'],
    secret: true,
  }),
  'octopus-access-token': string({
    description: 'Octopus OIDC access token (with reap). Defaults to OCTOPUS_ACCESS_TOKEN.',
    env: ['OCTOPUS_ACCESS_TOKEN'],
    secret: true,
  }),
  space: string({
    description: 'Octopus space name or id (with reap).',
    default: 'Default',
    maxLength: 200,
  }),
  'octopus-environments': list({
    description: 'Octopus environments to reap, comma or newline separated. Default: the environment name.',
    unique: true,
    accepted: 'Octopus environment names',
  }),
  'max-reap': integer({
    description:
      'With reap: the most targets one run may delete; over it nothing is deleted (a warning, see reap-failure).',
    default: '10',
    min: 0,
    max: 10_000,
  }),
  // Above reap-octopus-orphans' 50: right after a refresh about half the mapped targets are the replaced instances'.
  'max-reap-percent': integer({
    description:
      "With reap: the largest share (0-100) of the mapped targets one run may delete; over it nothing is deleted (a warning, see reap-failure). Right after a refresh about half the mapped targets belong to the replaced instances, hence a default above reap-octopus-orphans' 50.",
    default: '75',
    min: 0,
    max: 100,
  }),
  'reap-failure': choice(['warn', 'fail'] as const, {
    description:
      'What a refused or failed reap does to the step: `warn` (the deployment stands, the log and summary warn) or `fail`.',
    default: 'warn',
  }),

  'dry-run': boolean({
    description:
      'Run every check and print the plan (groups to refresh, where the label moves, what reaping would delete), changing nothing.',
    default: 'false',
  }),
};

export type DeployInputs = Inputs<typeof deployFields>;

/** One region's deployment: deploy-ami's inputs with its AMI and region, the label resolved once. */
export type Deployment = DeployInputs & { label: string; amiId: string };

/** With ami-id: the one region's deployment. */
export function deployment(v: DeployInputs): Deployment {
  return { ...v, amiId: v.amiId ?? '', label: v.label ?? v.environment };
}

/** With amis: each region's deployment, as the one-region code runs it (its region, its AMI). */
export function regionDeployments(v: DeployInputs): (Deployment & { region: string })[] {
  // Without amis: promote, given amis, would write every region from each region's transaction.
  const one = { ...v, amis: undefined, regionWaves: [] };
  // An events queue hears its own region's refreshes (EventBridge rules are regional), and each
  // reader deletes what it receives: only that region's wait reads it, the others poll.
  const queue = v.eventsQueueUrl && queueRegion(v.eventsQueueUrl, v.region ?? '');
  return Object.entries(v.amis ?? {}).map(([region, amiId]) => ({
    ...deployment(one),
    region,
    amiId,
    eventsQueueUrl: queue === region ? v.eventsQueueUrl : undefined,
  }));
}

/** expected-current against amis: a map with amis (an entry for each of its regions), else one AMI. */
function expectedProblems(v: Pick<DeployInputs, 'amis' | 'expectedCurrent'>): string[] {
  const e = v.expectedCurrent;
  if (e === undefined) return [];
  const map = e !== null && typeof e === 'object';
  if (!v.amis)
    return map ? ['expected-current: a JSON map is for amis; with ami-id give one AMI id, or none'] : [];
  if (!map)
    return [
      'expected-current: an AMI id belongs to one region; with amis give a JSON map region -> AMI id (or none), such as {"us-east-1":"ami-0123456789abcdef0"}',
    ];
  const regions = Object.keys(v.amis);
  const missing = regions.filter((r) => !(r in e));
  const other = Object.keys(e).filter((r) => !regions.includes(r));
  return [
    ...(missing.length ? [`expected-current: has no entry for ${missing.join(', ')}`] : []),
    ...(other.length
      ? [`expected-current: ${other.join(', ')} ${other.length === 1 ? 'is' : 'are'} not a region of amis`]
      : []),
  ];
}

/** The groups to roll: the given names/tags, or every group tagged Environment=<environment>. */
export function groupSelection(v: DeployInputs): { asgNames: string[]; asgTags: Record<string, string> } {
  if (v.asgNames.length || Object.keys(v.asgTags).length) return { asgNames: v.asgNames, asgTags: v.asgTags };
  return { asgNames: [], asgTags: { Environment: v.environment } };
}

/** roll-asg inside deploy-ami: its fields flow on by name, with what deploy-ami sets itself. */
export const rollPart = definePart({
  spec: rollSpec,
  given: (v: DeployInputs) => ({
    ...groupSelection(v),
    // With amis each region's deployment names its own AMI; any of them stands for all in the check.
    amiId: v.amiId ?? Object.values(v.amis ?? {})[0],
    // deploy-ami records the AMI in parameter-name: groups selected by tags must consent to it.
    consentParameter: v.parameterName,
    // The default moves only once the fleet is proven (settleSources), never at the start.
    setDefaultVersion: false,
    dryRun: false,
  }),
});

/**
 * wait-healthy inside deploy-ami: the groups are the refreshes the roll starts (asg-names/asg-tags
 * chose them), and the wait leaves a failure as it is: the put-back rolls every group back alike.
 */
export const waitPart = definePart({
  spec: waitHealthySpec,
  given: (_v: DeployInputs) => ({
    refreshes: undefined,
    asgNames: [],
    asgTags: {},
    rollbackOnFailure: false,
  }),
  atRunTime: ['refreshes'],
});

export const deploySpec = defineAction({
  name: 'deploy-ami',
  inputs: deployFields,
  outputs: {
    'previous-ami-id':
      'The AMI the environment ran before: the one its label was on (empty when the label was on no version, the parameter was created, or the run stopped before the plan). A rollback deploys this. With amis: a JSON object region -> AMI id of the regions that ran one (a region whose label was on no version is left out; its row in regions has an empty previous-ami-id), which a rollback passes as amis (with allow-older: true): it rolls those regions back and leaves the others as they are.',
    version:
      'The parameter version that holds the AMI; empty when none was written (refused, failed before recording, or a dry run that would write). With amis: a JSON object region -> version.',
    changed:
      'true when a new parameter version was written or the label moved; false otherwise (the AMI was already recorded, or nothing was recorded).',
    refreshes:
      "JSON list of the instance refreshes started, as roll-asg's output (empty list when every group was current).",
    'asg-names': 'Comma-separated names of every selected group (with amis: `region/name`).',
    status:
      "Outcome: `healthy` (proven, or nothing needed a refresh), `failed`, `rolled-back`, `timed-out` (each after putting back what the run changed), `refused` (a check failed; nothing was changed) or `planned` (dry run). With amis, the whole deployment's: `healthy` only when every region is, and after any failure every region is put back.",
    results: "JSON list with one entry per group, as wait-healthy's output.",
    'reaped-count': 'How many Octopus targets were deleted (0 without reap; with amis, in every region).',
    regions:
      'With amis: JSON list with one entry per region: `region`, `ami-id`, `status` (as status, or `not-started` for a wave that never started), `previous-ami-id`, `version`, `changed`, `refreshes` (how many started) and `reaped-count`. Empty list with ami-id.',
  },
  rules: [
    // roll-asg's and wait-healthy's own rules run with their checks below.
    { atMostOne: ['octopus-api-key', 'octopus-access-token'] },
    { exactlyOne: ['ami-id', 'amis'] },
    { requires: ['region-waves', 'amis'] },
  ],
  check(v, problem, isSet) {
    if (v.reap && !v.octopusUrl) problem('octopus-url: is required with reap: true (or set OCTOPUS_URL)');
    if (v.reap && !v.octopusApiKey && !v.octopusAccessToken)
      problem(
        'octopus-api-key: one of octopus-api-key, octopus-access-token is required with reap: true (or set OCTOPUS_API_KEY)',
      );
    if (v.amis) for (const p of wavesProblems(v.amis, v.regionWaves)) problem(p);
    for (const p of expectedProblems(v)) problem(p);
    // Every rule and cross-field check of the two actions, as they run alone (one line per problem).
    // A bad amis is reported on its own: roll's rules would only add that no AMI was given.
    const amisBad = isSet('amis') && !v.amis;
    const parts = [...(amisBad ? [] : partProblems(rollPart, v, isSet)), ...partProblems(waitPart, v, isSet)];
    for (const p of new Set(parts)) problem(p);
  },
});

/** How long a put-back retries throttled calls, and waits for the refreshes back (in ms). */
export const putBackTimes = (v: DeployInputs) => ({
  retryMs: Math.round(v.putBackTimeout * 1000),
  waitMs: Math.round(v.timeout * 1000),
});
