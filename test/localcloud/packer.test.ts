// Packer 1.6.6 (Debian's, amazon-ebs builder, communicator "none") bakes an AMI against localcloud:
// an independent AWS client proving the EC2 wire format, the waiters' view of state, and cleanup.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DescribeImagesCommand, DescribeSnapshotsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { start, type Localcloud } from './index.js';
import { clientConfig } from './test-support.js';

const PACKER = '/usr/bin/packer';
const run = promisify(execFile);
// Bounds, not performance assertions: a bake takes a few seconds; a stuck Packer must be killed
// rather than outlive the test (it would keep retrying against a stopped localcloud).
const BUILD_LIMIT_MS = 150_000;
const TEST_LIMIT_MS = 180_000;

let lc: Localcloud;
let dir: string;

beforeAll(async () => {
  lc = await start({
    durations: {
      instanceBoot: 200,
      provision: 300,
      instanceStop: 200,
      instanceTerminate: 200,
      imageAvailable: 500,
    },
  });
  dir = await mkdtemp(join(tmpdir(), 'localcloud-packer-'));
});

afterAll(async () => {
  await lc.stop();
  await rm(dir, { recursive: true, force: true });
});

/** `<ts>,<target>,<type>,<data...>` lines; Packer writes commas inside data as %!(PACKER_COMMA). */
function machineReadable(stdout: string): string[][] {
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(',').map((field) => field.replaceAll('%!(PACKER_COMMA)', ',')));
}

describe('packer amazon-ebs', () => {
  it(
    'bakes an AMI that localcloud reports available with the tags Packer set, and leaves nothing behind',
    async () => {
      const template = {
        builders: [
          {
            type: 'amazon-ebs',
            region: 'us-east-1',
            access_key: 'AKIDLOCALCLOUDTEST',
            secret_key: 'localcloud',
            custom_endpoint_ec2: lc.url,
            skip_region_validation: true,
            skip_credential_validation: true,
            skip_metadata_api_check: true,
            source_ami_filter: {
              filters: { name: 'al2023-ami-*-kernel-6.1-x86_64', 'virtualization-type': 'hvm' },
              owners: ['amazon'],
              most_recent: true,
            },
            instance_type: 't3.micro',
            ami_name: 'packer-golden-{{timestamp}}',
            communicator: 'none',
            user_data: '#!/bin/bash\n# localcloud: console packer provisioning\n',
            tags: { Version: '3.1.4', Builder: 'packer' },
            snapshot_tags: { Version: '3.1.4' },
          },
        ],
      };
      const file = join(dir, 'template.json');
      await writeFile(file, JSON.stringify(template));
      const { stdout } = await run(PACKER, ['build', '-machine-readable', file], {
        cwd: dir,
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: dir,
          CHECKPOINT_DISABLE: '1',
          PACKER_CACHE_DIR: join(dir, 'cache'),
          AWS_POLL_DELAY_SECONDS: '1',
          AWS_MAX_ATTEMPTS: '60',
        },
        maxBuffer: 16 * 1024 * 1024,
        timeout: BUILD_LIMIT_MS,
        killSignal: 'SIGKILL',
      });

      const artifact = machineReadable(stdout).find(
        (f) => f[2] === 'artifact' && f[3] === '0' && f[4] === 'id',
      );
      expect(artifact).toBeDefined();
      const [region, imageId] = (artifact![5] ?? '').split(':');
      expect(region).toBe('us-east-1');

      const ec2 = new EC2Client(clientConfig(lc, 'us-east-1'));
      const image = (await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId!] }))).Images![0]!;
      expect(image.State).toBe('available');
      expect(image.Name).toMatch(/^packer-golden-\d+$/);
      expect(image.Tags).toEqual(
        expect.arrayContaining([
          { Key: 'Version', Value: '3.1.4' },
          { Key: 'Builder', Value: 'packer' },
        ]),
      );
      const snapshotId = image.BlockDeviceMappings![0]!.Ebs!.SnapshotId!;
      const snapshot = (await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] })))
        .Snapshots![0]!;
      // Packer 1.6.6 puts the AMI's tags on its snapshots as well as snapshot_tags.
      expect(snapshot.Tags).toEqual(expect.arrayContaining([{ Key: 'Version', Value: '3.1.4' }]));
      ec2.destroy();

      // Packer cleaned up after itself: builder terminated, temporary key pair and security group gone.
      const state = lc.world.region('us-east-1').ec2;
      expect([...state.instances.values()].map((i) => i.state)).toEqual(['terminated']);
      expect([...state.keyPairs.keys()]).toEqual([]);
      expect([...state.securityGroups.values()].map((g) => g.groupName)).toEqual(['default']);
      const operations = new Set(lc.logs.mutations.query({ service: 'ec2' }).map((m) => m.operation));
      expect([...operations].sort()).toEqual(
        [
          'AuthorizeSecurityGroupIngress',
          'CreateImage',
          'CreateKeyPair',
          'CreateSecurityGroup',
          'CreateTags',
          'DeleteKeyPair',
          'DeleteSecurityGroup',
          'RunInstances',
          'StopInstances',
          'TerminateInstances',
        ].sort(),
      );
      expect(lc.logs.calls.query().filter((c) => c.status >= 400)).toEqual([]);
    },
    TEST_LIMIT_MS,
  );
});
