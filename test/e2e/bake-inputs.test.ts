// bake-ami through dist against localcloud: bad inputs fail with a message naming the input,
// before any mutating call (checked on localcloud's mutation log; most before any call at all).
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localcloudEnv, runActionStep } from '../harness/run-action.js';
import { start, type Localcloud } from '../localcloud/index.js';

jest.setTimeout(60_000);

let lc: Localcloud;
let workdir: string;

beforeAll(async () => {
  lc = await start({ port: 0 });
  workdir = mkdtempSync(join(tmpdir(), 'bake-e2e-inputs-'));
  writeFileSync(join(workdir, 'empty.sh'), '   \n');
  writeFileSync(join(workdir, 'template.json'), '{"builders":[]}');
});
afterAll(async () => {
  await lc.stop();
  rmSync(workdir, { recursive: true, force: true });
});

const ok = {
  name: 'web',
  'source-ami': 'resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
  'user-data': '#!/bin/bash\nshutdown -h now',
};

/** [case, inputs, the error names this, extra env] — rejected by the input spec or local checks, before any AWS call. */
const beforeAnyCall: [string, Record<string, string>, RegExp, Record<string, string>?][] = [
  ['no name', { ...ok, name: '' }, /name: is required/],
  ['name with <>', { ...ok, name: 'web<1>' }, /name: "web<1>" is not accepted/],
  ['no source', { name: 'web', 'user-data': 'x' }, /one of source-ami, source-ami-filter is required/],
  [
    'two sources',
    { ...ok, 'source-ami-filter': 'al2023-*' },
    /source-ami and source-ami-filter: give only one/,
  ],
  ['source not an AMI', { ...ok, 'source-ami': 'latest' }, /source-ami: "latest" is not accepted/],
  [
    'bad owner',
    { ...ok, 'source-ami': '', 'source-ami-filter': 'al2023-*', 'source-ami-owners': 'me' },
    /source-ami-owners: "me"/,
  ],
  ['bad region', { ...ok, region: 'us-east' }, /region: "us-east" is not accepted/],
  ['impossible region', { ...ok, region: 'us-east-99' }, /region: "us-east-99" is not accepted/],
  ['bad instance type', { ...ok, 'instance-type': 'large' }, /instance-type: "large" is not accepted/],
  ['bad subnet id', { ...ok, 'subnet-id': 'subnet-xyz' }, /subnet-id: "subnet-xyz" is not accepted/],
  [
    'bad security group',
    { ...ok, 'security-group-ids': 'default' },
    /security-group-ids: "default" is not accepted/,
  ],
  ['volume too big', { ...ok, 'volume-size': '99999' }, /volume-size: 99999 is out of range/],
  [
    'kms key without encryption',
    { ...ok, 'kms-key-id': 'alias/golden' },
    /kms-key-id: needs encrypted: true/,
  ],
  [
    'unknown platform',
    { ...ok, platform: 'bsd' },
    /platform: "bsd" is not accepted; accepted: linux, windows/,
  ],
  [
    'user data and scripts',
    { ...ok, 'provision-scripts': 'a.sh' },
    /user-data and provision-scripts: give at most one/,
  ],
  [
    'no provisioning',
    { name: 'web', 'source-ami': ok['source-ami'] },
    /one of user-data, user-data-file, provision-scripts is required/,
  ],
  ['timeout not a number', { ...ok, timeout: 'an hour' }, /timeout: "an hour" is not a duration/],
  ['tag without value', { ...ok, tags: 'team' }, /tags: "team" is not a key=value pair/],
  [
    'copy to the bake region',
    { ...ok, 'copy-to-regions': 'us-east-1' },
    /copy-to-regions: us-east-1 is the bake region/,
  ],
  [
    'share with a name',
    { ...ok, 'share-with-accounts': 'prod' },
    /share-with-accounts: "prod" is not accepted/,
  ],
  [
    'boolean spelled yes',
    { ...ok, 'reuse-if-unchanged': 'yes' },
    /reuse-if-unchanged: "yes" is not a boolean/,
  ],
  [
    'unknown engine',
    { ...ok, engine: 'ansible' },
    /engine: "ansible" is not accepted; accepted: native, packer/,
  ],
  [
    'packer without template',
    { name: 'web', 'source-ami': ok['source-ami'], engine: 'packer' },
    /packer-template: is required with engine: packer/,
  ],
  [
    'builder and image inputs the Packer template decides',
    {
      name: 'web',
      'source-ami': ok['source-ami'],
      engine: 'packer',
      'packer-template': 'template.json',
      'instance-type': 'm5.large',
      'subnet-id': 'subnet-0123456789abcdef0',
      encrypted: 'true',
      'kms-key-id': 'alias/bake',
    },
    /instance-type, subnet-id, encrypted, kms-key-id: not used with engine: packer, whose template decides its builder and image; set them in packer-template/,
  ],
  [
    'missing user-data-file',
    { ...ok, 'user-data': '', 'user-data-file': 'nope.sh' },
    /user-data-file: cannot read "nope.sh" \(no such file\)/,
  ],
  [
    'empty provision script',
    { ...ok, 'user-data': '', 'provision-scripts': 'empty.sh' },
    /provision-scripts: "empty.sh" is empty/,
  ],
  [
    'packer not installed',
    { name: 'web', 'source-ami': ok['source-ami'], engine: 'packer', 'packer-template': 'template.json' },
    /engine: packer needs the packer binary on PATH/,
    { PATH: '/nonexistent' },
  ],
];

/** Inputs that are well-formed but name things that do not exist: found out by reads alone. */
const beforeAnyMutation: [string, Record<string, string>, RegExp][] = [
  [
    'unknown source AMI',
    { ...ok, 'source-ami': 'ami-0123456789abcdef0' },
    /source-ami: ami-0123456789abcdef0 does not exist in us-east-1/,
  ],
  [
    'unknown SSM parameter',
    { ...ok, 'source-ami': 'resolve:ssm:/golden/none' },
    /source-ami: SSM parameter \/golden\/none does not exist/,
  ],
  [
    'no filter match',
    { ...ok, 'source-ami': '', 'source-ami-filter': 'debian-13-*' },
    /source-ami-filter: no available AMI named "debian-13-\*"/,
  ],
  [
    'unknown subnet',
    { ...ok, 'subnet-id': 'subnet-0123456789abcdef0' },
    /subnet-id: subnet-0123456789abcdef0 does not exist in us-east-1/,
  ],
];

describe('bake-ami e2e: bad inputs', () => {
  it('covers at least 15 cases', () => {
    expect(beforeAnyCall.length + beforeAnyMutation.length).toBeGreaterThanOrEqual(15);
  });

  it.each(beforeAnyCall)(
    '%s: fails naming the input, before any AWS call',
    async (_, inputs, message, env = {}) => {
      const calls = lc.logs.calls.query().length;
      const r = await runActionStep('bake-ami', {
        inputs,
        env: { ...localcloudEnv(lc.url), ...env },
        workdir,
      });
      expect(r.exitCode).toBe(1);
      expect(r.errors).toEqual([expect.stringMatching(message)]);
      expect(lc.logs.calls.query().length).toBe(calls);
      expect(r.post?.exitCode).toBe(0);
    },
  );

  it.each(beforeAnyMutation)('%s: fails clearly, before any mutating call', async (_, inputs, message) => {
    const mutations = lc.logs.mutations.query().length;
    const r = await runActionStep('bake-ami', { inputs, env: localcloudEnv(lc.url), workdir });
    expect(r.exitCode).toBe(1);
    expect(r.errors).toEqual([expect.stringMatching(message)]);
    expect(lc.logs.mutations.query().length).toBe(mutations);
    expect(r.post?.exitCode).toBe(0);
  });
});
