// bake-ami's inputs: one field per input with its limits, and the checks across inputs.
import {
  AMI_ID,
  boolean,
  choice,
  duration,
  integer,
  keyValues,
  list,
  region,
  REGION,
  regionList,
  seconds,
  string,
  waitTimeout,
} from '../core/input-fields.js';
import { defineAction, type Inputs } from '../core/inputs.js';
import { imageInputs, checkImageInputs } from './inputs/image.js';
import { checkVolumeInputs, volumeInputs } from './inputs/volume.js';
import { checkFailureInputs, failureInputs } from './inputs/failure.js';
import { builderInputs, checkBuilderInputs } from './inputs/builder.js';
import { checkTestInputs, testInputs } from './inputs/test-stage.js';

// Patterns follow the EC2 API's own limits so a bad value fails here, before any AWS call.
const SSM_PARAMETER = /^resolve:ssm:\/?[\w.\-/]{1,1011}(:[\w.-]{1,100})?$/;
/** AMI names: 3-128 characters; 15 are kept for the "-yyyyMMddHHmmss" suffix. */
const AMI_NAME = /^[A-Za-z0-9()[\] ./\-'@_]{3,113}$/;
const KMS_KEY =
  /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}|alias\/[\w/.-]{1,250}|arn:aws[\w-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[\w/.-]+)$/;
const INSTANCE_PROFILE =
  /^([\w+=,.@-]{1,128}|arn:aws[\w-]*:iam::\d{12}:instance-profile\/[\w+=,.@/-]{1,256})$/;

export const MAX_USER_DATA_BYTES = 16 * 1024;

/** Inputs of the native builder and image that a Packer template decides for itself. */
const PACKER_DECIDES = [
  'instance-type',
  'subnet-id',
  'security-group-ids',
  'iam-instance-profile',
  'volume-size',
  'encrypted',
  'kms-key-id',
  'kms-key-ids',
] as const;

export const bakeSpec = defineAction({
  name: 'bake-ami',
  inputs: {
    name: string({
      description:
        'Base name of the AMI, the bake\'s identity (reuse and the janitor find its images by it). The image is named "<name>-<UTC yyyyMMddHHmmss>" unless ami-name-template says otherwise. Letters, digits, spaces and ( ) [ ] . / - \' @ _, 3 to 113 characters.',
      required: true,
      pattern: AMI_NAME,
      accepted: "3 to 113 of letters, digits, spaces and ( ) [ ] . / - ' @ _",
    }),
    'source-ami': string({
      description:
        'The source image: an AMI id (ami-0123456789abcdef0) or "resolve:ssm:<parameter>", e.g. resolve:ssm:/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base. Give exactly one of source-ami and source-ami-filter.',
      pattern: new RegExp(`${AMI_ID.source}|${SSM_PARAMETER.source}`),
      accepted: 'an AMI id (ami-0123456789abcdef0) or resolve:ssm:<parameter name>',
    }),
    'source-ami-filter': string({
      description:
        'An AMI name pattern (wildcards * and ?); the newest available match by creation date owned by source-ami-owners is used.',
      pattern: /^[A-Za-z0-9()[\] ./\-'@_*?]{1,128}$/,
      accepted: 'an AMI name pattern of up to 128 characters (wildcards * and ?)',
    }),
    'source-ami-owners': list({
      description:
        'Owners searched with source-ami-filter: account ids or aliases (amazon, self, aws-marketplace), comma or newline separated.',
      default: 'amazon',
      pattern: /^(\d{12}|self|amazon|aws-marketplace|aws-backup-vault)$/,
      accepted: 'account ids (12 digits) or self, amazon, aws-marketplace, aws-backup-vault',
      unique: true,
    }),
    region: region('AWS region to bake in. Defaults to AWS_REGION / AWS_DEFAULT_REGION.'),
    'instance-type': string({
      description: 'Instance type of the builder instance.',
      default: 't3.medium',
      pattern: /^[a-z][a-z0-9-]*\.[a-z0-9-]+$/,
      accepted: 'an instance type such as t3.medium',
    }),
    'subnet-id': string({
      description:
        'Subnet to launch the builder in (default: the default VPC). It needs outbound access to SSM for provision-scripts.',
      pattern: /^subnet-([0-9a-f]{8}|[0-9a-f]{17})$/,
      accepted: 'a subnet id such as subnet-0123456789abcdef0',
    }),
    'security-group-ids': list({
      description: 'Security groups for the builder, comma or newline separated. No inbound rule is needed.',
      pattern: /^sg-([0-9a-f]{8}|[0-9a-f]{17})$/,
      accepted: 'security group ids such as sg-0123456789abcdef0',
      maxItems: 5,
      unique: true,
    }),
    'iam-instance-profile': string({
      description:
        'Instance profile name or ARN for the builder; provision-scripts need one that allows SSM (AmazonSSMManagedInstanceCore).',
      pattern: INSTANCE_PROFILE,
      accepted: 'an instance profile name or ARN',
    }),
    'volume-size': integer({
      description: "Root volume size in GiB (default: the source image's).",
      min: 1,
      max: 16384,
    }),
    encrypted: boolean({
      description: "Encrypt the root volume (and so the AMI's snapshot).",
      default: 'false',
    }),
    'kms-key-id': string({
      description:
        'KMS key id, alias or ARN for the encrypted root volume; requires encrypted: true. With share-with-accounts a customer-managed key is required (AMIs on aws/ebs cannot be shared).',
      pattern: KMS_KEY,
      accepted: 'a KMS key id, alias/<name> or key/alias ARN',
    }),
    'kms-key-ids': keyValues({
      description:
        'region=key pairs (comma or newline separated): the KMS key for each copy-to-regions copy; requires encrypted: true. With share-with-accounts every copy region needs one (a customer-managed key: AMIs on the AWS managed key cannot be shared).',
      maxItems: 20,
      keyPattern: REGION,
    }),
    platform: choice(['linux', 'windows'] as const, {
      description:
        'linux or windows: how provision-scripts run (shell or PowerShell) and how the builder is shut down. Default: from the source image.',
    }),
    'user-data': string({
      description:
        'User data run at boot that provisions the machine and ends by shutting it down (Linux "shutdown -h now", Windows EC2Launch "sysprep --shutdown"). The action waits for the builder to stop.',
    }),
    'user-data-file': string({ description: 'A file holding the user data (instead of user-data).' }),
    'provision-scripts': list({
      description:
        'Script files run in order over SSM Run Command (shell on Linux, PowerShell on Windows), comma or newline separated; output is streamed into the log and a non-zero exit fails the bake. The action then shuts the builder down (Windows: sysprep through EC2Launch).',
    }),
    'failure-marker': string({
      description: "A line containing this text in the builder's console output fails the bake at once.",
      default: 'BAKE-FAILED',
      maxLength: 200,
    }),
    timeout: waitTimeout(
      'Bound on the whole bake, a duration with its unit such as 90m or 2h (a bare number is refused: it would be seconds); a timeout names the phase that ran out.',
    ),
    tags: keyValues({
      description:
        'Tags for the AMI and its snapshots (and copies), key=value, comma or newline separated, at most 36 (EC2 allows 50 per resource and bake-ami keeps its own). Provenance tags (source AMI, commit, run URL, fingerprint) are added. Keys starting golden-ami: are reserved. On reuse the AMI and its copies get exactly these: changed values set, keys no longer listed removed.',
      maxItems: 36,
      keyPattern: /^(?!aws:)[\w .:/=+\-@]{1,128}$/,
    }),
    'copy-to-regions': regionList({
      description: 'Regions to copy the AMI to (in parallel, tags carried), comma or newline separated.',
      maxItems: 20,
    }),
    'share-with-accounts': list({
      description:
        'AWS account ids (12 digits) given launch permission on the AMI and its copies, comma or newline separated.',
      pattern: /^\d{12}$/,
      accepted: 'AWS account ids of 12 digits',
      unique: true,
      maxItems: 100,
    }),
    'share-snapshots': boolean({
      description:
        'Also grant share-with-accounts createVolumePermission on every snapshot of the AMI and its copies, which those accounts need to copy the AMI (launching needs only launch permission).',
      default: 'false',
    }),
    'reuse-if-unchanged': boolean({
      description:
        "Return an available AMI with the same fingerprint (source AMI, provisioning content, image-changing settings) at once, launching nothing. Only a completed bake's AMI counts: one left by a job that died before its test or copies finished is never reused.",
      default: 'true',
    }),
    'reuse-max-age': duration({
      description:
        'Rebake an unchanged AMI once it is this old, a duration with its unit such as 30d (for monthly patches the source image does not carry). Default: reuse at any age.',
      unit: 'd',
      unitRequired: true,
      whole: false,
      min: 1 / 24,
      max: 3650,
      formerly: { name: 'reuse-max-age-days', unit: 'd' },
    }),
    engine: choice(['native', 'packer'] as const, {
      description:
        'native (this action launches, provisions and images the builder) or packer (runs "packer build" on packer-template, which then decides the builder and image: instance-type, subnet-id, security-group-ids, iam-instance-profile, volume-size, encrypted, kms-key-id and kms-key-ids are refused with it).',
      default: 'native',
    }),
    'packer-template': string({
      description:
        'Packer template for engine: packer: an HCL2 .pkr.hcl file or a directory of them (packer init runs when it declares required_plugins), or a legacy JSON file. It receives source_ami and ami_name, and region, bake_id and bake_tags where it can (HCL: when declared). Every file it names is in the fingerprint.',
    }),
    'packer-vars': keyValues({
      description: 'Extra Packer variables, key=value, comma or newline separated (engine: packer).',
      keyPattern: /^[A-Za-z_][\w-]*$/,
    }),
    janitor: boolean({
      description:
        'Before starting, terminate builder instances of earlier bakes past their expiry time, and retire their unfinished images in the bake region, every region a bake recorded copying to, and janitor-regions.',
      default: 'true',
    }),
    'janitor-regions': regionList({
      description:
        'More regions the janitor looks in for unfinished images, comma or newline separated: for images copied before bakes recorded their copy regions.',
      maxItems: 30,
    }),
    'dry-run': boolean({
      description: 'Resolve and validate everything and print the plan, creating nothing.',
      default: 'false',
    }),
    ...imageInputs,
    ...volumeInputs,
    ...failureInputs,
    ...builderInputs,
    ...testInputs,
    'poll-interval': seconds({
      description:
        'Longest delay between status polls while waiting, a duration such as 10s or 500ms (a bare number is seconds). Each phase with a usual duration (boot, stop, imaging, copy) is polled first when it is expected to end (a new image also once early, as a failing one fails fast), then at a tenth of this, growing 1.5× up to it. It never changes when a phase is expected to end; rarely worth changing on AWS.',
      default: '10s',
      min: 0.01,
      max: 300,
      formerly: { name: 'poll-interval-seconds', unit: 's' },
    }),
  },
  outputs: {
    'ami-id': 'The baked (or reused) AMI id in the bake region.',
    'ami-name': 'The AMI name.',
    amis: 'JSON object of region to AMI id, including the bake region and every copy.',
    'source-ami-id': 'The resolved source AMI id.',
    fingerprint:
      'sha256 of the source AMI id, provisioning content and image-changing settings, tagged on the AMI.',
    reused: 'true when an existing AMI with the same fingerprint was returned and nothing was launched.',
    'builder-instance-id': 'The builder instance id (empty when reused, dry-run or engine: packer).',
  },
  rules: [
    { exactlyOne: ['source-ami', 'source-ami-filter'] },
    { atMostOne: ['user-data', 'user-data-file', 'provision-scripts'] },
  ],
  check(v, problem, isSet) {
    if (v.kmsKeyId && !v.encrypted) problem('kms-key-id: needs encrypted: true');
    if (v.shareSnapshots && !v.shareWithAccounts.length)
      problem('share-snapshots: needs share-with-accounts (the accounts to grant createVolumePermission)');
    checkKeys(v, problem);
    const reserved = Object.keys(v.tags).filter((k) => k.toLowerCase().startsWith('golden-ami:'));
    if (reserved.length)
      problem(
        `tags: ${reserved.join(', ')}: keys starting golden-ami: are bake-ami's own (provenance, expiry, completion); use another key`,
      );
    if (Object.keys(v.tags).join(',').length > 512)
      problem(
        'tags: the keys add up to more than 512 characters; bake-ami records them in two tags of 256 so reuse can remove a key no longer listed',
      );
    checkImageInputs(v, problem);
    checkVolumeInputs(v, problem);
    checkFailureInputs(v, problem, isSet);
    checkBuilderInputs(v, problem);
    checkTestInputs(v, problem);
    for (const [key, value] of Object.entries(v.tags)) {
      if (value.length > 256)
        problem(`tags: the value of ${key} is ${value.length} characters long; at most 256 are accepted`);
    }
    if (v.copyToRegions.includes(v.region))
      problem(`copy-to-regions: ${v.region} is the bake region; list only other regions`);
    if (v.userData !== undefined && Buffer.byteLength(v.userData) > MAX_USER_DATA_BYTES)
      problem(
        `user-data: is ${Buffer.byteLength(v.userData)} bytes; EC2 accepts at most ${MAX_USER_DATA_BYTES}`,
      );
    const provisioning =
      v.userData !== undefined || v.userDataFile !== undefined || v.provisionScripts.length > 0;
    if (v.engine === 'native' && !provisioning)
      problem(
        'one of user-data, user-data-file, provision-scripts is required (or engine: packer with packer-template)',
      );
    if (v.engine === 'packer') {
      if (!v.packerTemplate) problem('packer-template: is required with engine: packer');
      // The template decides Packer's builder and image: these would be silently ignored.
      const builderOnly = PACKER_DECIDES.filter(isSet);
      if (builderOnly.length)
        problem(
          `${builderOnly.join(', ')}: not used with engine: packer, whose template decides its builder and image; set them in packer-template (instance_type, subnet_id, security_group_ids, iam_instance_profile, launch_block_device_mappings, encrypt_boot, kms_key_id, region_kms_key_ids)`,
        );
      if (provisioning)
        problem(
          'user-data, user-data-file and provision-scripts: not used with engine: packer; provision in packer-template',
        );
    } else {
      if (v.packerTemplate) problem('packer-template: needs engine: packer');
      if (Object.keys(v.packerVars).length) problem('packer-vars: needs engine: packer');
    }
  },
});

export type BakeInputs = Inputs<typeof bakeSpec.inputs>;

/** The AWS managed EBS key: "You can't share AMIs that are backed by snapshots that are encrypted with the default AWS managed key." */
const MANAGED_EBS_KEY = /^(alias\/aws\/ebs|arn:aws[\w-]*:kms:[^:]+:\d{12}:alias\/aws\/ebs)$/;

/**
 * Keys per region: CopyImage without KmsKeyId encrypts with the destination's default key, which
 * other accounts cannot use. So an encrypted AMI shared with accounts needs a customer-managed
 * key for the bake region (kms-key-id) and for every copy region (kms-key-ids).
 */
function checkKeys(v: Inputs<typeof bakeSpec.inputs>, problem: (message: string) => void): void {
  const ids = v.kmsKeyIds;
  if (Object.keys(ids).length && !v.encrypted) problem('kms-key-ids: needs encrypted: true');
  for (const [region, key] of Object.entries(ids)) {
    if (!KMS_KEY.test(key)) problem(`kms-key-ids: ${region}=${key} is not a KMS key id, alias/<name> or ARN`);
    const arnRegion = /^arn:aws[\w-]*:kms:([^:]+):/.exec(key)?.[1];
    if (arnRegion && arnRegion !== region)
      problem(`kms-key-ids: the key for ${region} is in ${arnRegion}; KMS keys are regional`);
    if (!v.copyToRegions.includes(region))
      problem(`kms-key-ids: ${region} is not in copy-to-regions (the bake region's key is kms-key-id)`);
  }
  if (!v.encrypted || !v.shareWithAccounts.length) return;
  const managed = 'the AWS managed key aws/ebs cannot be shared with other accounts';
  if (!v.kmsKeyId)
    problem(
      `kms-key-id: encrypted: true with share-with-accounts needs a customer-managed key for ${v.region}; ${managed}`,
    );
  else if (MANAGED_EBS_KEY.test(v.kmsKeyId)) problem(`kms-key-id: ${managed}`);
  for (const region of v.copyToRegions) {
    const key = ids[region];
    if (!key)
      problem(
        `kms-key-ids: encrypted: true with share-with-accounts needs region=key for copy region ${region}; ${managed}`,
      );
    else if (MANAGED_EBS_KEY.test(key)) problem(`kms-key-ids: ${region}: ${managed}`);
  }
}
