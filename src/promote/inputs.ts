// The promote-ami-parameter inputs and outputs, and the regions a promotion writes.
import { defineAction, type Inputs } from '../core/inputs.js';
import {
  AMI_ID,
  amiId,
  boolean,
  choice,
  duration,
  type Field,
  InputProblem,
  json,
  keyValues,
  list,
  region,
  REGION,
  regionList,
  string,
} from '../core/input-fields.js';

// SSM: letters, digits, . - _ and / for paths; a path must start with /.
export const PARAMETER_NAME = /^(\/[A-Za-z0-9_.-]+)+$|^[A-Za-z0-9_.-]+$/;
export const PARAMETER_NAME_ACCEPTED =
  'an SSM parameter name such as /golden-ami/web/staging (letters, digits, . - _; a name with a path starts with /)';
// SSM label rules: no leading digit, no aws/ssm prefix (any case), at most 100 characters.
export const LABEL = /^(?![0-9])(?![aA][wW][sS])(?![sS][sS][mM])[A-Za-z0-9_.-]{1,100}$/;

/** Region -> AMI id, as bake-ami's `amis` output. */
export type AmiMap = Record<string, string>;
/** Region -> expected AMI id, or null when the parameter must not exist. */
export type ExpectedMap = Record<string, string | null>;

function amiMap(value: unknown): AmiMap | InputProblem {
  if (!value || typeof value !== 'object' || Array.isArray(value))
    return new InputProblem('is not a JSON object');
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return new InputProblem('names no region');
  for (const [region, ami] of entries) {
    if (!REGION.test(region)) return new InputProblem(`key ${JSON.stringify(region)} is not a region`);
    if (typeof ami !== 'string' || !AMI_ID.test(ami))
      return new InputProblem(`${region}: ${JSON.stringify(ami)} is not an AMI id`);
  }
  return Object.fromEntries(entries) as AmiMap;
}

/** expected-current: an AMI id, `none`, or a JSON map region -> AMI id or none. */
function expectedCurrent(description: string): Field<string | ExpectedMap | null | undefined> {
  const accepted = 'an AMI id (ami-...), none, or a JSON map region -> AMI id or none';
  return {
    kind: 'expected-current',
    description,
    required: false,
    empty: undefined,
    parse(raw) {
      if (raw === 'none') return null;
      if (AMI_ID.test(raw)) return raw;
      if (!raw.startsWith('{'))
        throw new InputProblem(`${JSON.stringify(raw)} is not accepted; expected ${accepted}`);
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch {
        throw new InputProblem(`is not valid JSON; expected ${accepted}`);
      }
      if (!value || typeof value !== 'object' || Array.isArray(value))
        throw new InputProblem(`is not a JSON object; expected ${accepted}`);
      const out: ExpectedMap = {};
      for (const [region, ami] of Object.entries(value as Record<string, unknown>)) {
        if (!REGION.test(region))
          throw new InputProblem(`key ${JSON.stringify(region)} is not a region; expected ${accepted}`);
        if (ami === 'none' || ami === null) out[region] = null;
        else if (typeof ami === 'string' && AMI_ID.test(ami)) out[region] = ami;
        else
          throw new InputProblem(
            `${region}: ${JSON.stringify(ami)} is not an AMI id or none; expected ${accepted}`,
          );
      }
      return out;
    },
  };
}

export const promoteSpec = defineAction({
  name: 'promote-ami-parameter',
  inputs: {
    'parameter-name': string({
      description:
        'Name of the SSM parameter, e.g. /golden-ami/web/staging. Created with data type aws:ec2:image when missing; an existing parameter of another data type is an error (SSM cannot convert it).',
      required: true,
      pattern: PARAMETER_NAME,
      accepted: PARAMETER_NAME_ACCEPTED,
      maxLength: 1011,
    }),
    'ami-id': amiId({ description: 'The AMI to promote, in `region`. Give exactly one of ami-id and amis.' }),
    amis: json(amiMap, {
      description:
        'JSON map region -> AMI id (the `amis` output of bake-ami) to write the right AMI in each region. Give exactly one of ami-id and amis.',
      accepted: 'a JSON map region -> AMI id such as {"us-east-1":"ami-0123456789abcdef0"}',
    }),
    regions: regionList({
      description:
        'With amis: the regions to write, one per line or comma-separated (each must be a key of amis). Default: every region in amis.',
    }),
    region: region('AWS region for ami-id. Default: AWS_REGION or AWS_DEFAULT_REGION.'),
    label: string({
      description:
        'Parameter label (e.g. staging, prod, nightly) moved to the version holding the AMI. Letters, digits, . - _; up to 100 characters; not starting with a digit, aws or ssm.',
      pattern: LABEL,
      accepted: 'a label of letters, digits, . - _ (at most 100), not starting with a digit, aws or ssm',
    }),
    'expected-current': expectedCurrent(
      'Compare-and-swap: the AMI the parameter must hold now, or `none` for a parameter that must not exist yet. With amis, a JSON map region -> AMI id (or none). When it differs, nothing is changed and the step fails.',
    ),
    'allow-older': boolean({
      description:
        'Allow promoting an AMI created before the current one (an explicit rollback). When false, such a promotion is refused.',
      default: 'false',
    }),
    description: string({ description: 'Description stored on the parameter.', maxLength: 1024 }),
    tags: keyValues({
      description:
        'Tags as key=value, one per line or comma-separated: set when the parameter is created, added when a new version is written.',
      maxItems: 50,
      keyPattern: /^(?![aA][wW][sS]:)[\p{L}\p{Z}\p{N}_.:/=+@-]{1,128}$/u,
    }),
    'dry-run': boolean({
      description: 'Check the AMIs and the parameter and print the plan, without writing anything.',
      default: 'false',
    }),
    'validation-timeout': duration({
      description:
        'How long to wait for SSM to validate the new version: a duration from 1s to 1h such as 90s or 5m (a bare number is seconds).',
      default: '2m',
      whole: false,
      min: 1,
      max: 3600,
    }),
    'poll-interval': duration({
      description:
        'First delay between read-backs while SSM validates, in seconds or a duration (500ms, 2s); it grows up to 10 times that.',
      default: '1s',
      unit: 's',
      whole: false,
      min: 0.05,
      max: 60,
    }),
    'allowed-owners': list({
      description:
        'Whose AMIs may be recorded: `self` (the account running the action) and 12-digit account ids, one per line or comma-separated. An AMI owned by any other account, or without the `golden-ami:bake-id` tag bake-ami puts on what it bakes, is refused unless allow-foreign-ami is true.',
      default: 'self',
      unique: true,
      pattern: /^(self|\d{12})$/,
      accepted: 'self or 12-digit account ids',
    }),
    'allow-foreign-ami': boolean({
      description:
        'Record an AMI this pipeline did not bake (no `golden-ami:bake-id` tag, or owned by an account not in allowed-owners), such as a vendor image reviewed by hand; the run warns that it did.',
      default: 'false',
    }),
    protect: choice(['auto', 'true', 'false'] as const, {
      description:
        'Turn on deregistration protection (EnableImageDeregistrationProtection, with the 24-hour cooldown) for the AMI recorded, in every region: auto (when label is one of protected-labels), true (always) or false (never). retire-amis turns it off again only once no label holds the AMI.',
      default: 'auto',
    }),
    'protected-labels': list({
      description: 'With protect auto: the labels whose AMIs are protected, one per line or comma-separated.',
      default: 'production',
      unique: true,
      pattern: LABEL,
      accepted: 'parameter labels such as production',
    }),
  },
  outputs: {
    'previous-ami-id':
      'The AMI the parameter held before (empty when it was created). With amis: a JSON map region -> AMI id.',
    version: 'The parameter version that holds the AMI now. With amis: a JSON map region -> version.',
    changed:
      'true when a new version was written or the label was moved in any region; false when everything was already in place (or dry-run).',
  },
  rules: [{ exactlyOne: ['ami-id', 'amis'] }, { requires: ['regions', 'amis'] }],
  check(v, problem) {
    if (v.amis) {
      const missing = v.regions.filter((r) => !(r in v.amis!));
      if (missing.length)
        problem(`regions: ${missing.join(', ')} not in amis (it has ${Object.keys(v.amis).join(', ')})`);
    }
    const targets = targetRegions(v);
    const expected = v.expectedCurrent;
    if (expected && typeof expected === 'object') {
      const uncovered = targets.filter((r) => !(r in expected));
      if (uncovered.length) problem(`expected-current: has no entry for ${uncovered.join(', ')}`);
    } else if (expected && targets.length > 1) {
      problem(
        'expected-current: an AMI id belongs to one region; with several regions give a JSON map region -> AMI id',
      );
    }
    for (const [key, value] of Object.entries(v.tags))
      if (value.length > 256)
        problem(`tags: the value of ${key} is ${value.length} characters; at most 256 are accepted`);
  },
});

export type PromoteInputs = Inputs<typeof promoteSpec.inputs>;

/** The regions a promotion writes: `regions` (or every key of `amis`), else `region` for ami-id. */
export function targetRegions(v: Pick<PromoteInputs, 'amis' | 'regions' | 'region'>): string[] {
  if (!v.amis) return [v.region];
  return v.regions.length ? v.regions : Object.keys(v.amis);
}
