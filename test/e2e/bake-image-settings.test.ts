// bake-ami through dist against localcloud: what the image is called (ami-name-template,
// ami-description), how long it lives (deprecate-after) and who may launch it (organizations
// and OUs), on the AMI and its copies, converged again on reuse; bad values refused with 0 calls.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { DescribeImageAttributeCommand, EC2Client } from '@aws-sdk/client-ec2';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../harness/action-metadata.js';
import { localcloudEnv, runActionStep, type ActionRun } from '../harness/run-action.js';
import { start, type Localcloud } from '../localcloud/index.js';
import { expectRefusedWithoutCalls } from './bake-refusals.js';
import { clientConfig } from '../localcloud/test-support.js';

jest.setTimeout(120_000);

let lc: Localcloud;
let workdir: string;

beforeAll(async () => {
  lc = await start({ port: 0 });
  workdir = mkdtempSync(join(tmpdir(), 'bake-e2e-settings-'));
  cpSync(join(repoRoot, 'image'), join(workdir, 'image'), { recursive: true });
});
afterAll(async () => {
  await lc.stop();
  rmSync(workdir, { recursive: true, force: true });
});

const ORG = 'arn:aws:organizations::123456789012:organization/o-abcd123456';
const OU = 'arn:aws:organizations::123456789012:ou/o-abcd123456/ou-ab12-cdef3456';
const DAY = 86_400_000;
const WINDOWS = 'resolve:ssm:/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base';

const inputs = {
  name: 'named',
  'source-ami': 'resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
  'user-data': '#!/bin/bash\necho provisioned\nshutdown -h now',
  'poll-interval': '0.05',
  'copy-to-regions': 'eu-west-1',
  'ami-name-template': '{name}-{date}-{sha}',
  'ami-description': 'web {sha} run {run}',
  'deprecate-after': '90d',
  'share-with-organizations': ORG,
  'share-with-organizational-units': OU,
};

const bakeStep = (given: Record<string, string>): Promise<ActionRun> =>
  runActionStep('bake-ami', {
    inputs: given,
    env: { ...localcloudEnv(lc.url), GITHUB_RUN_NUMBER: '17' },
    workdir,
  });

async function launchPermissions(region: string, imageId: string) {
  const ec2 = new EC2Client(clientConfig(lc, region));
  const out = await ec2.send(
    new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: 'launchPermission' }),
  );
  return out.LaunchPermissions ?? [];
}

describe('bake-ami e2e: image name, description, deprecation and organization sharing', () => {
  let first: ActionRun;
  let amis: Record<string, string>;

  it('names, describes, deprecates and shares the AMI and its copy', async () => {
    first = await bakeStep(inputs);
    expect(first.errors).toEqual([]);
    expect(first.exitCode).toBe(0);
    const image = lc.world.region('us-east-1').ec2.images.get(first.outputs['ami-id']!)!;
    const date = new Date(image.creationDate).toISOString().slice(0, 10).replace(/-/g, '');
    expect(first.outputs['ami-name']).toBe(`named-${date}-0123456789ab`);
    amis = JSON.parse(first.outputs.amis!) as Record<string, string>;
    expect(Object.keys(amis).sort()).toEqual(['eu-west-1', 'us-east-1']);
    for (const [region, id] of Object.entries(amis)) {
      const img = lc.world.region(region).ec2.images.get(id)!;
      expect(img.name).toBe(first.outputs['ami-name']);
      expect(img.description).toBe('web 0123456789ab run 17');
      // Every copy: DeprecationTime ≈ the AMI's creation + 90 days (to the minute).
      expect(Math.abs(img.deprecationTime! - (image.creationDate + 90 * DAY))).toBeLessThanOrEqual(60_000);
      expect(await launchPermissions(region, id)).toEqual(
        expect.arrayContaining([{ OrganizationArn: ORG }, { OrganizationalUnitArn: OU }]),
      );
    }
    // The summary's "what this image is" block.
    const deprecated = new Date(
      lc.world.region('us-east-1').ec2.images.get(amis['us-east-1']!)!.deprecationTime!,
    );
    expect(first.summary).toContain('| What this image is |');
    expect(first.summary).toContain(`| Name | ${first.outputs['ami-name']} |`);
    expect(first.summary).toContain('| Description | web 0123456789ab run 17 |');
    expect(first.summary).toContain(`| Fingerprint | \`${first.outputs.fingerprint}\` |`);
    expect(first.summary).toContain(`| Deprecated from | ${deprecated.toISOString()} |`);
    expect(first.summary).toContain(`| Shared with | ${ORG}, ${OU} |`);
  });

  it('reuse converges: launch permissions and deprecation put back on every image', async () => {
    for (const [region, id] of Object.entries(amis)) {
      const img = lc.world.region(region).ec2.images.get(id)!;
      img.launchPermissionOrganizationalUnitArns?.clear();
      delete img.deprecationTime;
    }
    const again = await bakeStep(inputs);
    expect(again.errors).toEqual([]);
    expect(again.outputs).toMatchObject({ reused: 'true', 'ami-id': first.outputs['ami-id'] });
    const created = lc.world.region('us-east-1').ec2.images.get(amis['us-east-1']!)!.creationDate;
    for (const [region, id] of Object.entries(amis)) {
      const img = lc.world.region(region).ec2.images.get(id)!;
      expect(Math.abs(img.deprecationTime! - (created + 90 * DAY))).toBeLessThanOrEqual(60_000);
      expect(await launchPermissions(region, id)).toEqual(
        expect.arrayContaining([{ OrganizationArn: ORG }, { OrganizationalUnitArn: OU }]),
      );
    }
  });

  it('reuse leaves organization and OU grants no longer listed, and hand-made ones, alone', async () => {
    const handmade = 'arn:aws:organizations::123456789012:organization/o-handmade99';
    for (const [region, id] of Object.entries(amis))
      lc.world.region(region).ec2.images.get(id)!.launchPermissionOrganizationArns?.add(handmade);
    const { ['share-with-organizations']: _o, ['share-with-organizational-units']: _u, ...rest } = inputs;
    const again = await bakeStep(rest);
    expect(again.errors).toEqual([]);
    expect(again.outputs).toMatchObject({ reused: 'true', 'ami-id': first.outputs['ami-id'] });
    for (const [region, id] of Object.entries(amis))
      expect(await launchPermissions(region, id)).toEqual(
        expect.arrayContaining([
          { OrganizationArn: ORG },
          { OrganizationArn: handmade },
          { OrganizationalUnitArn: OU },
        ]),
      );
  });

  it('a changed bake whose name is taken (no {time} in the template) is refused before anything is launched', async () => {
    const mutations = lc.logs.mutations.query().length;
    const r = await bakeStep({ ...inputs, 'user-data': '#!/bin/bash\necho changed\nshutdown -h now' });
    expect(r.exitCode).toBe(1);
    expect(r.errors).toEqual([
      expect.stringMatching(
        new RegExp(
          `^Invalid input: ami-name-template: an AMI named "${first.outputs['ami-name']}" already exists in us-east-1 \\(${first.outputs['ami-id']}\\), eu-west-1 \\(${amis['eu-west-1']}\\); AMI names are unique per region`,
        ),
      ),
    ]);
    expect(lc.logs.mutations.query().length).toBe(mutations);
  });
});

describe('bake-ami e2e: root volume performance and IMDSv2 on the image', () => {
  it('volume-type gp3, volume-iops 4000, volume-throughput 250 and imds-support v2.0 are on the AMI and its copy', async () => {
    // Windows base images lack ImdsSupport (Linux ones have v2.0), so the bake has to set it.
    const r = await bakeStep({
      name: 'fast-disk',
      'source-ami': WINDOWS,
      'user-data-file': 'image/windows/user-data.ps1',
      'poll-interval': '0.05',
      'copy-to-regions': 'eu-west-1',
      'volume-type': 'gp3',
      'volume-iops': '4000',
      'volume-throughput': '250',
      'imds-support': 'v2.0',
    });
    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(0);
    for (const [region, id] of Object.entries(JSON.parse(r.outputs.amis!) as Record<string, string>)) {
      const image = lc.world.region(region).ec2.images.get(id)!;
      expect(image.imdsSupport).toBe('v2.0');
      expect(image.blockDeviceMappings[0]!.Ebs).toMatchObject({
        VolumeType: 'gp3',
        Iops: 4000,
        Throughput: 250,
      });
    }
    const source = lc.world.region('us-east-1').ec2.images.get(r.outputs['source-ami-id']!)!;
    expect(source.imdsSupport).toBeUndefined();
    // The settings are in the fingerprint: the same bake without them is not a reuse of this one.
    const plain = await bakeStep({
      name: 'fast-disk',
      'source-ami': WINDOWS,
      'user-data-file': 'image/windows/user-data.ps1',
      'poll-interval': '0.05',
      'dry-run': 'true',
    });
    expect(plain.outputs.fingerprint).not.toBe(r.outputs.fingerprint);
    expect(plain.outputs.reused).toBe('false');
  });
});

const bad: [string, Record<string, string>, RegExp][] = [
  [
    'name template with a character AMI names cannot hold',
    { 'ami-name-template': '{name}:{date}' },
    /^ami-name-template: "\{name\}:\{date\}" has characters AMI names cannot hold/,
  ],
  [
    'unknown placeholder',
    { 'ami-name-template': '{name}-{version}' },
    /^ami-name-template: unknown placeholder \{version\}; accepted: \{name\}, \{date\}/,
  ],
  ['stray brace', { 'ami-name-template': '{name}-{date' }, /^ami-name-template: a brace without its pair/],
  [
    'name longer than 128 once filled',
    { 'ami-name-template': `{name}-${'x'.repeat(130)}` },
    /^ami-name-template: gives "named-x+" \(136 characters\); AMI names are 3 to 128/,
  ],
  [
    'description longer than 255 once filled',
    { 'ami-description': `${'d'.repeat(250)} {bake-id}` },
    /^ami-description: gives \d+ characters; AMI descriptions are at most 255/,
  ],
  [
    'description placeholder unknown',
    { 'ami-description': '{commit}' },
    /^ami-description: unknown placeholder \{commit\}/,
  ],
  [
    'deprecate after 0 days',
    { 'deprecate-after': '0d' },
    /^deprecate-after: 0 days is out of range; accepted: 1 to 3650 days/,
  ],
  ['deprecate after 11 years', { 'deprecate-after': '4000d' }, /^deprecate-after: 4000 days is out of range/],
  [
    'organization given as an id',
    { 'share-with-organizations': 'o-abcd123456' },
    /^share-with-organizations: "o-abcd123456" is not accepted; expected organization ARNs/,
  ],
  [
    'OU ARN in place of an organization',
    { 'share-with-organizations': OU },
    /^share-with-organizations: ".*ou-ab12-cdef3456" is not accepted/,
  ],
  [
    'organizational unit given as an id',
    { 'share-with-organizational-units': 'ou-ab12-cdef3456' },
    /^share-with-organizational-units: "ou-ab12-cdef3456" is not accepted; expected organizational unit ARNs/,
  ],
  [
    'root volume type st1',
    { 'volume-type': 'st1' },
    /^volume-type: "st1" is not accepted; accepted: gp3, gp2, io1, io2, standard/,
  ],
  ['iops without a type', { 'volume-iops': '4000' }, /^volume-iops: needs volume-type gp3, io1 or io2/],
  [
    'iops on gp2',
    { 'volume-type': 'gp2', 'volume-iops': '4000' },
    /^volume-iops: not accepted for volume-type gp2/,
  ],
  ['io1 without iops', { 'volume-type': 'io1' }, /^volume-iops: is required with volume-type io1/],
  [
    'gp3 iops out of range',
    { 'volume-type': 'gp3', 'volume-iops': '20000' },
    /^volume-iops: 20000 is out of range for gp3; accepted: 3000 to 16000/,
  ],
  [
    'gp3 iops above 500 per GiB',
    { 'volume-type': 'gp3', 'volume-iops': '5000', 'volume-size': '8' },
    /^volume-iops: 5000 is more than 500 per GiB of volume-size 8/,
  ],
  [
    'throughput on io2',
    { 'volume-type': 'io2', 'volume-iops': '4000', 'volume-throughput': '500' },
    /^volume-throughput: needs volume-type gp3/,
  ],
  [
    'throughput above 0.25 per IOPS',
    { 'volume-type': 'gp3', 'volume-throughput': '1000' },
    /^volume-throughput: 1000 MiB\/s is more than 0.25 per IOPS of 3000 IOPS/,
  ],
  [
    'throughput out of range',
    { 'volume-type': 'gp3', 'volume-throughput': '100' },
    /^volume-throughput: 100 is out of range; accepted: 125 to 1000/,
  ],
  ['imds-support v1', { 'imds-support': 'v1.0' }, /^imds-support: "v1.0" is not accepted; accepted: v2.0/],
];

describe('bake-ami e2e: bad image settings', () => {
  it.each(bad)('%s: one line naming the input, 0 AWS calls', async (_, given, message) => {
    await expectRefusedWithoutCalls(lc, () => bakeStep({ ...inputs, ...given }), message);
  });
});
