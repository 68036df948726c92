// bake-ami's inputs: one field per input with its limits, and the checks across inputs.
import { boolean, choice, decimal, integer, keyValues, list, string } from '../core/input-fields.js';
import { defineAction, type Inputs } from '../core/inputs.js';
import { REGION, regionInput, regionList } from '../aws/regions.js';

// Patterns follow the EC2 API's own limits so a bad value fails here, before any AWS call.
const AMI_ID = /^ami-([0-9a-f]{8}|[0-9a-f]{17})$/;
const SSM_PARAMETER = /^resolve:ssm:\/?[\w.\-/]{1,1011}(:[\w.-]{1,100})?$/;
/** AMI names: 3-128 characters; 15 are kept for the "-yyyyMMddHHmmss" suffix. */
const AMI_NAME = /^[A-Za-z0-9()[\] ./\-'@_]{3,113}$/;
const KMS_KEY =
  /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}|alias\/[\w/.-]{1,250}|arn:aws[\w-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[\w/.-]+)$/;
const INSTANCE_PROFILE =
  /^([\w+=,.@-]{1,128}|arn:aws[\w-]*:iam::\d{12}:instance-profile\/[\w+=,.@/-]{1,256})$/;

export const MAX_USER_DATA_BYTES = 16 * 1024;

/** Fractional seconds, so tests against localcloud can poll every few tens of milliseconds. */
const seconds = (o: { default: string; min: number; max: number }) =>
  decimal({ ...o, what: 'number of seconds' });

export const bakeSpec = defineAction({
  name: 'bake-ami',
  inputs: {
    name: string({
      required: true,
      pattern: AMI_NAME,
      accepted: "3 to 113 of letters, digits, spaces and ( ) [ ] . / - ' @ _",
    }),
    'source-ami': string({
      pattern: new RegExp(`${AMI_ID.source}|${SSM_PARAMETER.source}`),
      accepted: 'an AMI id (ami-0123456789abcdef0) or resolve:ssm:<parameter name>',
    }),
    'source-ami-filter': string({
      pattern: /^[A-Za-z0-9()[\] ./\-'@_*?]{1,128}$/,
      accepted: 'an AMI name pattern of up to 128 characters (wildcards * and ?)',
    }),
    'source-ami-owners': list({
      default: 'amazon',
      pattern: /^(\d{12}|self|amazon|aws-marketplace|aws-backup-vault)$/,
      accepted: 'account ids (12 digits) or self, amazon, aws-marketplace, aws-backup-vault',
      unique: true,
    }),
    region: regionInput(),
    'instance-type': string({
      default: 't3.medium',
      pattern: /^[a-z][a-z0-9-]*\.[a-z0-9-]+$/,
      accepted: 'an instance type such as t3.medium',
    }),
    'subnet-id': string({
      pattern: /^subnet-([0-9a-f]{8}|[0-9a-f]{17})$/,
      accepted: 'a subnet id such as subnet-0123456789abcdef0',
    }),
    'security-group-ids': list({
      pattern: /^sg-([0-9a-f]{8}|[0-9a-f]{17})$/,
      accepted: 'security group ids such as sg-0123456789abcdef0',
      maxItems: 5,
      unique: true,
    }),
    'iam-instance-profile': string({
      pattern: INSTANCE_PROFILE,
      accepted: 'an instance profile name or ARN',
    }),
    'volume-size': integer({ min: 1, max: 16384 }),
    encrypted: boolean({ default: 'false' }),
    'kms-key-id': string({ pattern: KMS_KEY, accepted: 'a KMS key id, alias/<name> or key/alias ARN' }),
    'kms-key-ids': keyValues({ maxItems: 20, keyPattern: REGION }),
    platform: choice(['linux', 'windows'] as const),
    'user-data': string(),
    'user-data-file': string(),
    'provision-scripts': list(),
    'failure-marker': string({ default: 'BAKE-FAILED', maxLength: 200 }),
    'timeout-minutes': integer({ default: '60', min: 1, max: 1440 }),
    tags: keyValues({ maxItems: 40, keyPattern: /^(?!aws:)[\w .:/=+\-@]{1,128}$/ }),
    'copy-to-regions': regionList({ maxItems: 20 }),
    'share-with-accounts': list({
      pattern: /^\d{12}$/,
      accepted: 'AWS account ids of 12 digits',
      unique: true,
      maxItems: 100,
    }),
    'share-snapshots': boolean({ default: 'false' }),
    'reuse-if-unchanged': boolean({ default: 'true' }),
    engine: choice(['native', 'packer'] as const, { default: 'native' }),
    'packer-template': string(),
    'packer-vars': keyValues({ keyPattern: /^[A-Za-z_][\w-]*$/ }),
    janitor: boolean({ default: 'true' }),
    'dry-run': boolean({ default: 'false' }),
    'poll-interval-seconds': seconds({ default: '10', min: 0.01, max: 300 }),
  },
  outputs: ['ami-id', 'ami-name', 'amis', 'source-ami-id', 'fingerprint', 'reused', 'builder-instance-id'],
  rules: [
    { exactlyOne: ['source-ami', 'source-ami-filter'] },
    { atMostOne: ['user-data', 'user-data-file', 'provision-scripts'] },
  ],
  check(v, problem) {
    if (v.kmsKeyId && !v.encrypted) problem('kms-key-id: needs encrypted: true');
    if (v.shareSnapshots && !v.shareWithAccounts.length)
      problem('share-snapshots: needs share-with-accounts (the accounts to grant createVolumePermission)');
    checkKeys(v, problem);
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
