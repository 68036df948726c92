import { ConfigurationError } from '../../../src/core/errors.js';
import { parse } from './options.js';

const ok = { name: 'web', 'source-ami': 'ami-0123456789abcdef0', 'user-data': '#!/bin/sh\nshutdown -h now' };

function problems(inputs: Record<string, string>, env?: Record<string, string>): string[] {
  try {
    parse(inputs, env);
  } catch (err) {
    if (err instanceof ConfigurationError) return err.problems;
    throw err;
  }
  return [];
}

describe('bake-ami inputs', () => {
  it('accepts a minimal bake and applies the declared defaults', () => {
    const v = parse(ok);
    expect(v).toMatchObject({
      name: 'web',
      sourceAmi: 'ami-0123456789abcdef0',
      sourceAmiOwners: ['amazon'],
      instanceType: 't3.medium',
      encrypted: false,
      failureMarker: 'BAKE-FAILED',
      timeout: 3600,
      reuseIfUnchanged: true,
      engine: 'native',
      janitor: true,
      dryRun: false,
      pollInterval: 10,
      region: 'us-east-1',
    });
  });

  it('accepts resolve:ssm: sources and a filter with owners', () => {
    expect(
      parse({
        ...ok,
        'source-ami': 'resolve:ssm:/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base',
      }).sourceAmi,
    ).toMatch(/^resolve:ssm:/);
    const v = parse({
      name: 'web',
      'source-ami-filter': 'al2023-ami-2023.*-x86_64',
      'source-ami-owners': 'amazon, 123456789012',
      'user-data': 'x',
    });
    expect(v.sourceAmiOwners).toEqual(['amazon', '123456789012']);
  });

  const bad: [string, Record<string, string>, RegExp][] = [
    ['name missing', { ...ok, name: '' }, /^name: is required/],
    ['name with bad characters', { ...ok, name: 'web<1>' }, /^name: .*not accepted/],
    ['name too long for the timestamp', { ...ok, name: 'a'.repeat(114) }, /^name: /],
    ['no source', { name: 'web', 'user-data': 'x' }, /one of source-ami, source-ami-filter is required/],
    [
      'both sources',
      { ...ok, 'source-ami-filter': 'al2023-*' },
      /source-ami and source-ami-filter: give only one/,
    ],
    [
      'source-ami neither id nor ssm',
      { ...ok, 'source-ami': 'ubuntu-latest' },
      /^source-ami: .*AMI id .*resolve:ssm/,
    ],
    [
      'bad owner',
      { name: 'web', 'source-ami-filter': 'x*', 'source-ami-owners': 'canonical', 'user-data': 'x' },
      /^source-ami-owners: /,
    ],
    ['bad region', { ...ok, region: 'mars-1' }, /^region: /],
    ['bad instance type', { ...ok, 'instance-type': 'big' }, /^instance-type: /],
    ['bad subnet', { ...ok, 'subnet-id': 'sub-123' }, /^subnet-id: /],
    [
      'bad security group',
      { ...ok, 'security-group-ids': 'sg-0123456789abcdef0, default' },
      /^security-group-ids: "default"/,
    ],
    ['volume size zero', { ...ok, 'volume-size': '0' }, /^volume-size: 0 is out of range/],
    ['encrypted not boolean', { ...ok, encrypted: 'yes' }, /^encrypted: "yes" is not a boolean/],
    [
      'kms key without encrypted',
      { ...ok, 'kms-key-id': 'alias/golden' },
      /^kms-key-id: needs encrypted: true/,
    ],
    [
      'bad platform',
      { ...ok, platform: 'macos' },
      /^platform: "macos" is not accepted; accepted: linux, windows/,
    ],
    [
      'two provisioning ways',
      { ...ok, 'provision-scripts': 'a.sh' },
      /user-data and provision-scripts: give at most one/,
    ],
    [
      'no provisioning',
      { name: 'web', 'source-ami': 'ami-0123456789abcdef0' },
      /one of user-data, user-data-file, provision-scripts is required/,
    ],
    ['timeout zero', { ...ok, timeout: '0m' }, /^timeout: /],
    ['tag without =', { ...ok, tags: 'team' }, /^tags: "team" is not a key=value pair/],
    ['aws: tag', { ...ok, tags: 'aws:x=1' }, /^tags: key "aws:x"/],
    [
      'reserved tag',
      { ...ok, tags: 'team=web, golden-ami:completed=x' },
      /^tags: golden-ami:completed: keys starting golden-ami: are bake-ami's own/,
    ],
    ['37 tags', { ...ok, tags: Array.from({ length: 37 }, (_, i) => `k${i}=v`).join(',') }, /^tags: /],
    [
      'tag keys too long to record',
      { ...ok, tags: Array.from({ length: 5 }, (_, i) => `${'k'.repeat(120)}${i}=v`).join(',') },
      /^tags: the keys add up to more than 512 characters/,
    ],
    ['reuse age zero', { ...ok, 'reuse-max-age': '0d' }, /^reuse-max-age: /],
    ['janitor region unknown', { ...ok, 'janitor-regions': 'mars-1' }, /^janitor-regions: /],
    [
      'copy to own region',
      { ...ok, 'copy-to-regions': 'us-east-1' },
      /^copy-to-regions: us-east-1 is the bake region/,
    ],
    ['share with bad account', { ...ok, 'share-with-accounts': '1234' }, /^share-with-accounts: "1234"/],
    [
      'share snapshots with nobody',
      { ...ok, 'share-snapshots': 'true' },
      /^share-snapshots: needs share-with-accounts/,
    ],
    ['unknown engine', { ...ok, engine: 'imagebuilder' }, /^engine: /],
    [
      'packer without template',
      { name: 'web', 'source-ami': 'ami-0123456789abcdef0', engine: 'packer' },
      /^packer-template: is required/,
    ],
    [
      'packer with user data',
      { ...ok, engine: 'packer', 'packer-template': 't.json' },
      /not used with engine: packer/,
    ],
    [
      'template without packer',
      { ...ok, 'packer-template': 't.json' },
      /^packer-template: needs engine: packer/,
    ],
    ['user data too big', { ...ok, 'user-data': 'x'.repeat(16 * 1024 + 1) }, /^user-data: is 16385 bytes/],
    ['poll interval not a number', { ...ok, 'poll-interval': 'fast' }, /^poll-interval: /],
    [
      'a builder input with engine: packer',
      {
        name: 'web',
        'source-ami': 'ami-0123456789abcdef0',
        engine: 'packer',
        'packer-template': 't.json',
        'iam-instance-profile': 'builder',
      },
      /^iam-instance-profile: not used with engine: packer, whose template decides its builder and image/,
    ],
    [
      'keep-builder-for without on-failure: keep',
      { ...ok, 'keep-builder-for': '48h' },
      /^keep-builder-for: applies only with on-failure: keep/,
    ],
  ];

  it.each(bad)('rejects %s, naming the input', (_, inputs, message) => {
    const found = problems(inputs);
    expect(found.some((p) => message.test(p))).toBe(true);
  });

  it('reports every problem at once', () => {
    const found = problems({ name: 'x', 'source-ami': 'nope', 'instance-type': 'big', 'user-data': 'x' });
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^name:/),
        expect.stringMatching(/^source-ami:/),
        expect.stringMatching(/^instance-type:/),
      ]),
    );
  });

  it('needs a region from the input or AWS_REGION', () => {
    expect(problems(ok, {})).toEqual(['region: is required (or set AWS_REGION or AWS_DEFAULT_REGION)']);
  });
});
