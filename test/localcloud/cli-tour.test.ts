// A scripted tour with the AWS CLI v2 (Debian's /usr/bin/aws, an independent client with its own
// botocore): images, the instance lifecycle, imaging, a launch template + Auto Scaling group
// rolled by an instance refresh to Successful, and Parameter Store with labels.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { start, type Localcloud } from './index.js';
import { QUICK_BAKE_DURATIONS, until } from './test-support.js';

// The v1 CLI that may come first on PATH does not speak to local endpoints the same way.
const AWS = '/usr/bin/aws';
const execFileAsync = promisify(execFile);
const TOUR_TIMEOUT_MS = 240_000;

let lc: Localcloud;
let home: string;

beforeAll(async () => {
  lc = await start({
    durations: { ...QUICK_BAKE_DURATIONS, imageAvailable: 300 },
  });
  home = await mkdtemp(join(tmpdir(), 'localcloud-cli-'));
});

afterAll(async () => {
  await lc.stop();
  await rm(home, { recursive: true, force: true });
});

/** Runs one CLI command against localcloud and parses its JSON output ({} when it prints nothing). */
async function aws<T = Record<string, unknown>>(...args: string[]): Promise<T> {
  const { stdout } = await execFileAsync(AWS, [...args, '--endpoint-url', lc.url, '--output', 'json'], {
    // A hung CLI call is killed instead of outliving the test.
    timeout: 60_000,
    killSignal: 'SIGKILL',
    env: {
      PATH: '/usr/bin:/bin',
      HOME: home,
      AWS_ACCESS_KEY_ID: 'AKIDLOCALCLOUDCLI',
      AWS_SECRET_ACCESS_KEY: 'localcloud',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_PAGER: '',
      AWS_CONFIG_FILE: join(home, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
    },
  });
  return (stdout.trim() ? JSON.parse(stdout) : {}) as T;
}

async function awsError(...args: string[]): Promise<string> {
  try {
    await aws(...args);
  } catch (err) {
    return String((err as { stderr?: string }).stderr ?? err);
  }
  return 'no error';
}

interface Reservations {
  Reservations: { Instances: { InstanceId: string; State: { Name: string }; ImageId: string }[] }[];
}

async function instanceState(id: string): Promise<string> {
  const out = await aws<Reservations>('ec2', 'describe-instances', '--instance-ids', id);
  return out.Reservations[0]!.Instances[0]!.State.Name;
}

describe('AWS CLI v2 tour', () => {
  it(
    'describes images, runs/stops/terminates, images an instance, and reports errors the CLI understands',
    async () => {
      const images = await aws<{ Images: { ImageId: string; Name: string }[] }>(
        'ec2',
        'describe-images',
        '--owners',
        'amazon',
        '--filters',
        'Name=name,Values=al2023-ami-*-x86_64',
      );
      expect(images.Images.map((i) => i.Name).sort()).toEqual([
        'al2023-ami-2023.6.20241111.0-kernel-6.1-x86_64',
        'al2023-ami-2023.6.20241212.0-kernel-6.1-x86_64',
      ]);
      const latest = await aws<{ Parameter: { Value: string } }>(
        'ssm',
        'get-parameter',
        '--name',
        '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
      );
      const run = await aws<{ Instances: { InstanceId: string; PrivateIpAddress: string }[] }>(
        'ec2',
        'run-instances',
        '--image-id',
        latest.Parameter.Value,
        '--instance-type',
        't3.micro',
        '--count',
        '1',
        '--tag-specifications',
        'ResourceType=instance,Tags=[{Key=Name,Value=cli-tour}]',
      );
      const id = run.Instances[0]!.InstanceId;
      expect(run.Instances[0]!.PrivateIpAddress).toMatch(/^127\.10\./);
      await until('running', async () => ((await instanceState(id)) === 'running' ? true : undefined), 60);
      await aws('ec2', 'stop-instances', '--instance-ids', id);
      await aws('ec2', 'wait', 'instance-stopped', '--instance-ids', id);
      const created = await aws<{ ImageId: string }>(
        'ec2',
        'create-image',
        '--instance-id',
        id,
        '--name',
        'cli-golden',
        '--tag-specifications',
        'ResourceType=image,Tags=[{Key=Version,Value=9.9.9}]',
      );
      await until(
        'the image',
        async () => {
          const out = await aws<{ Images: { State: string }[] }>(
            'ec2',
            'describe-images',
            '--image-ids',
            created.ImageId,
          );
          return out.Images[0]!.State === 'available' ? true : undefined;
        },
        60,
      );
      await aws('ec2', 'terminate-instances', '--instance-ids', id);
      await aws('ec2', 'wait', 'instance-terminated', '--instance-ids', id);
      expect(await awsError('ec2', 'describe-instances', '--instance-ids', 'i-0123456789abcdef0')).toContain(
        'InvalidInstanceID.NotFound',
      );
      const tagged = await aws<{ Images: { ImageId: string }[] }>(
        'ec2',
        'describe-images',
        '--owners',
        'self',
        '--filters',
        'Name=tag:Version,Values=9.9.9',
      );
      expect(tagged.Images.map((i) => i.ImageId)).toEqual([created.ImageId]);
    },
    TOUR_TIMEOUT_MS,
  );

  it(
    'rolls an Auto Scaling group to a new launch template version with an instance refresh',
    async () => {
      const region = lc.world.region('us-east-1');
      const oldImage = [...region.ec2.images.values()].find((i) =>
        i.name.startsWith('al2023-ami-2023.6.20241212.0-kernel-6.1-x86_64'),
      )!;
      const newImage = [...region.ec2.images.values()].find((i) =>
        i.name.startsWith('al2023-ami-2023.6.20241111.0-kernel-6.1-x86_64'),
      )!;
      const template = await aws<{ LaunchTemplate: { LaunchTemplateId: string } }>(
        'ec2',
        'create-launch-template',
        '--launch-template-name',
        'cli-web',
        '--launch-template-data',
        JSON.stringify({ ImageId: oldImage.imageId, InstanceType: 't3.micro' }),
      );
      const ltId = template.LaunchTemplate.LaunchTemplateId;
      await aws(
        'autoscaling',
        'create-auto-scaling-group',
        '--auto-scaling-group-name',
        'cli-web',
        '--launch-template',
        `LaunchTemplateId=${ltId},Version=1`,
        '--min-size',
        '2',
        '--max-size',
        '4',
        '--desired-capacity',
        '2',
        '--availability-zones',
        'us-east-1a',
        'us-east-1b',
      );
      interface Groups {
        AutoScalingGroups: {
          Instances: { InstanceId: string; LifecycleState: string; HealthStatus: string }[];
        }[];
      }
      const inService = async () => {
        const out = await aws<Groups>(
          'autoscaling',
          'describe-auto-scaling-groups',
          '--auto-scaling-group-names',
          'cli-web',
        );
        const live = out.AutoScalingGroups[0]!.Instances.filter(
          (i) => i.LifecycleState === 'InService' && i.HealthStatus === 'Healthy',
        );
        return live.length === 2 ? live.map((i) => i.InstanceId) : undefined;
      };
      const before = await until('two instances in service', inService, 60);

      const v2 = await aws<{ LaunchTemplateVersion: { VersionNumber: number } }>(
        'ec2',
        'create-launch-template-version',
        '--launch-template-id',
        ltId,
        '--source-version',
        '1',
        '--launch-template-data',
        JSON.stringify({ ImageId: newImage.imageId }),
      );
      expect(v2.LaunchTemplateVersion.VersionNumber).toBe(2);
      const refresh = await aws<{ InstanceRefreshId: string }>(
        'autoscaling',
        'start-instance-refresh',
        '--auto-scaling-group-name',
        'cli-web',
        '--desired-configuration',
        JSON.stringify({ LaunchTemplate: { LaunchTemplateId: ltId, Version: '2' } }),
        '--preferences',
        JSON.stringify({ MinHealthyPercentage: 50, InstanceWarmup: 1 }),
      );
      await until(
        'the refresh to succeed',
        async () => {
          const out = await aws<{ InstanceRefreshes: { InstanceRefreshId: string; Status: string }[] }>(
            'autoscaling',
            'describe-instance-refreshes',
            '--auto-scaling-group-name',
            'cli-web',
          );
          const mine = out.InstanceRefreshes.find((r) => r.InstanceRefreshId === refresh.InstanceRefreshId)!;
          if (['Failed', 'Cancelled'].includes(mine.Status)) throw new Error(`refresh ended ${mine.Status}`);
          return mine.Status === 'Successful' ? true : undefined;
        },
        120,
      );
      const after = await until('two replaced instances in service', inService, 60);
      expect(after.some((id) => before.includes(id))).toBe(false);
      const described = await aws<Reservations>('ec2', 'describe-instances', '--instance-ids', ...after);
      expect(described.Reservations.flatMap((r) => r.Instances.map((i) => i.ImageId))).toEqual([
        newImage.imageId,
        newImage.imageId,
      ]);
    },
    TOUR_TIMEOUT_MS,
  );

  it(
    'puts, gets and labels parameters',
    async () => {
      // Each call names the tour's parameter /cli/ami.
      const onAmi = <T = Record<string, unknown>>(command: string, ...args: string[]) =>
        aws<T>('ssm', command, '--name', '/cli/ami', ...args);
      await onAmi('put-parameter', '--value', 'ami-aaaaaaaaaaaaaaaaa', '--type', 'String');
      await onAmi('put-parameter', '--value', 'ami-bbbbbbbbbbbbbbbbb', '--overwrite');
      const labelled = await onAmi<{ ParameterVersion: number; InvalidLabels: string[] }>(
        'label-parameter-version',
        '--parameter-version',
        '1',
        '--labels',
        'prod',
      );
      expect([labelled.ParameterVersion, labelled.InvalidLabels]).toEqual([1, []]);
      const prod = await aws<{ Parameter: { Value: string; Version: number } }>(
        'ssm',
        'get-parameter',
        '--name',
        '/cli/ami:prod',
      );
      expect([prod.Parameter.Value, prod.Parameter.Version]).toEqual(['ami-aaaaaaaaaaaaaaaaa', 1]);
      const current = await onAmi<{ Parameter: { Value: string } }>('get-parameter');
      expect(current.Parameter.Value).toBe('ami-bbbbbbbbbbbbbbbbb');
      expect(await awsError('ssm', 'get-parameter', '--name', '/cli/none')).toContain('ParameterNotFound');
    },
    TOUR_TIMEOUT_MS,
  );
});
