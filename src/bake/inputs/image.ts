// bake-ami's inputs for what the image is called, how long it lives and who may launch it (issue 28),
// kept apart from inputs.ts so the spec stays readable; inputs.ts spreads them in.
import { boolean, duration, integer, list, string } from '../../core/input-fields.js';
import type { Inputs } from '../../core/inputs.js';
import { nameTemplateProblems, PLACEHOLDERS, templateProblems } from '../image/ami-name.js';

const PLACEHOLDER_LIST = PLACEHOLDERS.map((p) => `{${p}}`).join(', ');

/**
 * Launch permission ARNs, as EC2 Image Builder's LaunchPermissionConfiguration gives their patterns
 * (https://docs.aws.amazon.com/imagebuilder/latest/APIReference/API_LaunchPermissionConfiguration.html).
 */
export const ORGANIZATION_ARN = /^arn:aws[\w-]*:organizations::\d{12}:organization\/o-[a-z0-9]{10,32}$/;
export const OU_ARN =
  /^arn:aws[\w-]*:organizations::\d{12}:ou\/o-[a-z0-9]{10,32}\/ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}$/;

export const imageInputs = {
  'ami-name-template': string({
    description: `The AMI name, with placeholders ${PLACEHOLDER_LIST} ({date} yyyyMMdd and {time} HHmmss in UTC at the bake's start, {sha} the commit's first 12 characters, {run} GITHUB_RUN_NUMBER; both "local" outside Actions). Default: {name}-{date}{time}. The name must be new in each region, so keep a {date}/{time}/{bake-id}/{run} in it. Checked against AWS's rules (3 to 128 letters, digits, spaces and ( ) [ ] . / - ' @ _) before any call.`,
    maxLength: 1024,
  }),
  'ami-description': string({
    description: `The AMI's (and its copies') description, with the placeholders of ami-name-template; at most 255 characters once filled. Default: "Baked by golden-ami-actions from <source AMI> at <commit>".`,
    maxLength: 1024,
  }),
  'deprecate-after': duration({
    description:
      "Deprecate the AMI and every copy this long after the AMI's creation (EnableImageDeprecation at bake time), whole days with their unit such as 90d. A reused AMI keeps its first bake's date, and copies made for it get the same. At most 3650d (AWS's limit is 10 years).",
    unit: 'd',
    unitRequired: true,
    min: 1,
    max: 3650,
    formerly: { name: 'deprecate-after-days', unit: 'd' },
  }),
  'share-with-organizations': list({
    description:
      'AWS Organizations ARNs (arn:aws:organizations::<management account>:organization/o-…) given launch permission on the AMI and its copies, also on reuse. Encrypted AMIs need the KMS key shared too (see README).',
    pattern: ORGANIZATION_ARN,
    accepted: 'organization ARNs such as arn:aws:organizations::123456789012:organization/o-abcd123456',
    unique: true,
    maxItems: 25,
  }),
  'windows-fast-launch': boolean({
    description:
      'Windows AMIs: EnableFastLaunch (pre-provisioned snapshots) on the AMI and every copy, in each region, also on reuse. Needs a Windows image. retire-amis disables it before deregistering.',
    default: 'false',
  }),
  'fast-launch-max-parallel': integer({
    description:
      'With windows-fast-launch: how many instances EC2 may launch at once to pre-provision snapshots (MaxParallelLaunches, 6 or more). A reuse with another value changes it on the AMI and its copies.',
    default: '6',
    min: 6,
    max: 10_000,
  }),
  'share-with-organizational-units': list({
    description:
      'Organizational unit ARNs (arn:aws:organizations::<management account>:ou/o-…/ou-…) given launch permission on the AMI and its copies, also on reuse.',
    pattern: OU_ARN,
    accepted:
      'organizational unit ARNs such as arn:aws:organizations::123456789012:ou/o-abcd123456/ou-ab12-cdef3456',
    unique: true,
    maxItems: 25,
  }),
};

type ImageInputs = Inputs<typeof imageInputs>;

/** The checks no single field can make. */
export function checkImageInputs(v: ImageInputs, problem: (message: string) => void): void {
  if (v.amiNameTemplate !== undefined) for (const p of nameTemplateProblems(v.amiNameTemplate)) problem(p);
  if (v.amiDescription !== undefined)
    for (const p of templateProblems('ami-description', v.amiDescription)) problem(p);
}
