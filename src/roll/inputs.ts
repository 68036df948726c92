// The roll-asg inputs and outputs.
import {
  amiId,
  checkpointPercentages,
  boolean,
  choice,
  duration,
  groupSelection,
  integer,
  list,
  string,
  waitPace,
  waitPaceProblem,
} from '../core/input-fields.js';
import { defineAction, type Inputs } from '../core/inputs.js';

/** AWS caps AWS-side waits (checkpoint delay, bake time) at two days. */
const TWO_DAYS = 172_800;

// Defaults are the strings actions/roll-asg/action.yml declares (a test compares them).
export const rollSpec = defineAction({
  name: 'roll-asg',
  inputs: {
    ...groupSelection({
      'asg-names':
        'Auto Scaling group names, one per line or comma-separated. With asg-tags as well, a group must be named here and carry every tag.',
      'asg-tags':
        'Select groups by tags, `Key=Value` one per line or comma-separated (for example `Environment=staging`); a group must carry every tag. At least one of asg-names or asg-tags is required.',
      regions: 'Regions to look for groups in, one per line or comma-separated. Defaults to `region`.',
      region: 'The default AWS region. Defaults to AWS_REGION or AWS_DEFAULT_REGION.',
    }),
    'ami-id': amiId({
      description:
        'The AMI to roll out (ami-...). Give exactly one of ami-id or ami-parameter. With several regions the same id must exist in each.',
    }),
    'ami-parameter': string({
      description:
        'An SSM parameter holding the AMI id, read in each region: `name`, `name:label` or `name:version` (for example `/golden-ami/web:staging`). Give exactly one of ami-id or ami-parameter.',
      pattern: /^\/?[\w.\-/]{1,1011}(:[\w.-]{1,100})?$/,
      accepted:
        'an SSM parameter name, optionally with :label or :version (/golden-ami/web, /golden-ami/web:staging, /golden-ami/web:7)',
    }),
    'consent-parameter': string({
      description:
        'Groups selected by asg-tags alone are rolled only if they carry the tag golden-ami:parameter=<this SSM parameter name>; any other match fails the step before anything changes. Default: the name of ami-parameter (without :label). Groups named in asg-names need no tag.',
      pattern: /^\/?[\w.\-/]{1,1011}$/,
      accepted: 'an SSM parameter name without label or version (/golden-ami/web)',
    }),
    'set-default-version': boolean({
      description:
        'Also make the new launch template version the template default, once its refresh has started.',
      default: 'false',
    }),
    'min-healthy-percentage': integer({
      description:
        "Instance refresh MinHealthyPercentage (0-100): capacity that must stay healthy during the refresh. Empty: not sent, so the group's instance maintenance policy applies, else AWS's default (90).",
      min: 0,
      max: 100,
    }),
    'max-healthy-percentage': integer({
      description:
        "Instance refresh MaxHealthyPercentage (100-200): above 100 new instances launch before old ones terminate. Needs min-healthy-percentage, at most 100 above it. Empty: not sent, so the group's instance maintenance policy applies, else AWS's default (100).",
      min: 100,
      max: 200,
    }),
    'instance-warmup': duration({
      description:
        "Instance refresh InstanceWarmup in whole seconds, as a number or a duration (90, 5m). Empty: the group's default instance warmup or health check grace period.",
      min: 0,
      max: TWO_DAYS,
    }),
    'checkpoint-percentages': checkpointPercentages(
      'Instance refresh CheckpointPercentages: ascending whole percentages ending in 100 (for example `20,50,100`).',
    ),
    'checkpoint-delay': duration({
      description:
        'Instance refresh CheckpointDelay in whole seconds, as a number or a duration (600, 10m), paused at each checkpoint (AWS default 1h). Needs checkpoint-percentages.',
      min: 0,
      max: TWO_DAYS,
    }),
    'skip-matching': boolean({
      description:
        'Instance refresh SkipMatching: leave instances already on the desired launch template version. A group whose instances all run the AMI is reported as already current and not refreshed.',
      default: 'true',
    }),
    'auto-rollback': boolean({
      description:
        'Instance refresh AutoRollback: AWS rolls a failed refresh back to the previous template version. Not possible for templates that take the image from SSM (`resolve:ssm:`); set it to false for those.',
      default: 'true',
    }),
    alarms: list({
      description:
        'CloudWatch alarm names, one per line or comma-separated: the refresh fails (and rolls back with auto-rollback) when one goes into ALARM.',
      unique: true,
      maxItems: 10,
      pattern: /^[^,]{1,255}$/,
      accepted: 'CloudWatch alarm names',
    }),
    'scale-in-protected-instances': choice(['Refresh', 'Ignore', 'Wait'] as const, {
      description:
        'Instance refresh ScaleInProtectedInstances: Refresh, Ignore or Wait. Empty: AWS default (Wait).',
    }),
    'standby-instances': choice(['Terminate', 'Ignore', 'Wait'] as const, {
      description: 'Instance refresh StandbyInstances: Terminate, Ignore or Wait. Empty: AWS default (Wait).',
    }),
    'bake-time': duration({
      description:
        'Instance refresh BakeTime in whole seconds, as a number or a duration (300, 5m): time after the last replacement before the refresh counts as done.',
      min: 0,
      max: TWO_DAYS,
    }),
    'if-refresh-in-progress': choice(['fail', 'wait', 'cancel'] as const, {
      description:
        'When a group already has an active instance refresh: `fail` (name it and stop before changing anything), `wait` (wait for it to finish, then start), or `cancel` (cancel it, wait until cancelled, then start).',
      default: 'fail',
    }),
    'max-concurrency': integer({
      description:
        'How many groups are worked on at once in each region (regions have API rate limits of their own, so they go in parallel).',
      default: '10',
      min: 1,
      max: 100,
    }),
    wait: boolean({
      description:
        'Wait until every refresh has finished and the groups are healthy on the AMI, with the same code as the wait-healthy action.',
      default: 'false',
    }),
    ...waitPace({
      timeout:
        'Give up waiting after this long, a duration with its unit such as 90m or 1h (a bare number is refused: it would be seconds): for running refreshes with if-refresh-in-progress wait or cancel, and for the whole wait with `wait: true`.',
      'poll-interval':
        'Shortest time between two polls of a refresh, a duration such as 15s or 500ms (a bare number is seconds); polls back off from there while nothing changes.',
      'max-poll-interval':
        'Longest time between two polls of a refresh, a duration such as 60s or 2m (a bare number is seconds).',
    }),
    'dry-run': boolean({
      description:
        'Resolve groups, templates and the AMI and print what would be done, without changing anything.',
      default: 'false',
    }),
  },
  outputs: {
    refreshes:
      'JSON list of started refreshes, one per group: `region`, `group`, `refreshId`, `amiId`, `previousAmiId`, `imageSource` (`launch-template` or `ssm-parameter`) `launchTemplate` (`id`, `name`, `version`), and `newVersion` and `previousVersion` (the version to roll back to). This is what wait-healthy takes as its `refreshes` input. Empty (`[]`) on dry runs and when every group is already current.',
    'asg-names': 'Comma-separated names of every selected group, refreshed or already current.',
  },
  rules: [
    { exactlyOne: ['ami-id', 'ami-parameter'] },
    { atLeastOne: ['asg-names', 'asg-tags'] },
    { requires: ['checkpoint-delay', 'checkpoint-percentages'] },
    // StartInstanceRefresh: "If you specify MaxHealthyPercentage, you must also specify MinHealthyPercentage."
    { requires: ['max-healthy-percentage', 'min-healthy-percentage'] },
  ],
  check(v, problem, isSet) {
    // Groups found by tags alone must consent, by the tag naming the image they run (consent.ts).
    if (!v.asgNames.length && !v.consentParameter && !v.amiParameter)
      problem(
        'consent-parameter: is required when asg-tags selects groups and ami-id gives the AMI; accepted: the SSM parameter the groups are bound to by their golden-ami:parameter tag (/golden-ami/web)',
      );
    const pace = waitPaceProblem(v, isSet);
    if (pace) problem(pace);
    // The ranges (min 0-100, max 100-200) already keep min at most max; AWS also caps the spread.
    if (
      v.maxHealthyPercentage !== undefined &&
      v.minHealthyPercentage !== undefined &&
      v.maxHealthyPercentage - v.minHealthyPercentage > 100
    )
      problem(
        `max-healthy-percentage (${v.maxHealthyPercentage}) is more than 100 above min-healthy-percentage (${v.minHealthyPercentage}); AWS accepts a range of at most 100`,
      );
  },
});

export type RollInputs = Inputs<typeof rollSpec.inputs>;
