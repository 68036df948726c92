import {
  boolean,
  decimal,
  choice,
  duration,
  integer,
  keyValues,
  list,
  string,
} from '../core/input-fields.js';
import { defineAction, type Inputs } from '../core/inputs.js';
import { regionInput, regionList } from '../aws/regions.js';

/** AWS caps AWS-side waits (checkpoint delay, bake time) at two days. */
const TWO_DAYS = 172_800;

const seconds = (o: { default: string; min: number; max: number }) =>
  decimal({ ...o, what: 'number of seconds' });

// Defaults are the strings actions/roll-asg/action.yml declares (a test compares them).
export const rollSpec = defineAction({
  name: 'roll-asg',
  inputs: {
    'asg-names': list({
      unique: true,
      pattern: /^.{1,255}$/,
      accepted: 'Auto Scaling group names (1-255 characters)',
    }),
    'asg-tags': keyValues({ maxItems: 50 }),
    regions: regionList(),
    region: regionInput(),
    'ami-id': string({
      pattern: /^ami-[0-9a-f]{8,17}$/,
      accepted: 'an AMI id such as ami-0123456789abcdef0',
    }),
    'ami-parameter': string({
      pattern: /^\/?[\w.\-/]{1,1011}(:[\w.-]{1,100})?$/,
      accepted:
        'an SSM parameter name, optionally with :label or :version (/golden-ami/web, /golden-ami/web:staging, /golden-ami/web:7)',
    }),
    'consent-parameter': string({
      pattern: /^\/?[\w.\-/]{1,1011}$/,
      accepted: 'an SSM parameter name without label or version (/golden-ami/web)',
    }),
    'set-default-version': boolean({ default: 'false' }),
    'min-healthy-percentage': integer({ default: '90', min: 0, max: 100 }),
    'max-healthy-percentage': integer({ default: '100', min: 100, max: 200 }),
    'instance-warmup': duration({ min: 0, max: TWO_DAYS }),
    'checkpoint-percentages': list({
      pattern: /^\d{1,3}$/,
      accepted: 'whole percentages from 1 to 100, such as 20,50,100',
    }),
    'checkpoint-delay': duration({ min: 0, max: TWO_DAYS }),
    'skip-matching': boolean({ default: 'true' }),
    'auto-rollback': boolean({ default: 'true' }),
    alarms: list({
      unique: true,
      maxItems: 10,
      pattern: /^[^,]{1,255}$/,
      accepted: 'CloudWatch alarm names',
    }),
    'scale-in-protected-instances': choice(['Refresh', 'Ignore', 'Wait'] as const),
    'standby-instances': choice(['Terminate', 'Ignore', 'Wait'] as const),
    'bake-time': duration({ min: 0, max: TWO_DAYS }),
    'if-refresh-in-progress': choice(['fail', 'wait', 'cancel'] as const, { default: 'fail' }),
    'max-concurrency': integer({ default: '10', min: 1, max: 100 }),
    wait: boolean({ default: 'false' }),
    'timeout-minutes': integer({ default: '60', min: 1, max: 1440 }),
    'poll-interval-seconds': seconds({ default: '15', min: 0.1, max: 3600 }),
    'max-poll-interval-seconds': seconds({ default: '60', min: 0.1, max: 3600 }),
    'dry-run': boolean({ default: 'false' }),
  },
  outputs: ['refreshes', 'asg-names'],
  rules: [
    { exactlyOne: ['ami-id', 'ami-parameter'] },
    { atLeastOne: ['asg-names', 'asg-tags'] },
    { requires: ['checkpoint-delay', 'checkpoint-percentages'] },
  ],
  check(v, problem, isSet) {
    // Groups found by tags alone must consent, by the tag naming the image they run (consent.ts).
    if (!v.asgNames.length && !v.consentParameter && !v.amiParameter)
      problem(
        'consent-parameter: is required when asg-tags selects groups and ami-id gives the AMI; accepted: the SSM parameter the groups are bound to by their golden-ami:parameter tag (/golden-ami/web)',
      );
    // An unset maximum rises to the minimum; a conflicting one the user gave is an error.
    if (isSet('max-poll-interval-seconds') && v.maxPollIntervalSeconds < v.pollIntervalSeconds)
      problem(
        `max-poll-interval-seconds: ${v.maxPollIntervalSeconds} is below poll-interval-seconds (${v.pollIntervalSeconds}); accepted: at least poll-interval-seconds`,
      );
    const cps = v.checkpointPercentages.map(Number);
    if (cps.length) {
      const outOfRange = cps.filter((p) => p < 1 || p > 100);
      if (outOfRange.length)
        problem(`checkpoint-percentages: ${outOfRange.join(', ')} out of range; accepted: 1 to 100`);
      else if (cps.some((p, i) => i > 0 && p <= cps[i - 1]!))
        problem(
          `checkpoint-percentages: ${cps.join(',')} is not strictly ascending; accepted: ascending percentages ending in 100, such as 20,50,100`,
        );
      else if (cps[cps.length - 1] !== 100)
        problem(
          `checkpoint-percentages: ${cps.join(',')} does not end in 100; the last checkpoint must be 100 so every instance is replaced`,
        );
    }
    // The ranges (min 0-100, max 100-200) already keep min at most max; AWS also caps the spread.
    if (v.maxHealthyPercentage - v.minHealthyPercentage > 100)
      problem(
        `max-healthy-percentage (${v.maxHealthyPercentage}) is more than 100 above min-healthy-percentage (${v.minHealthyPercentage}); AWS accepts a range of at most 100`,
      );
  },
});

export type RollInputs = Inputs<typeof rollSpec.inputs>;
