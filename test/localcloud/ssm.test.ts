// SSM in localcloud through the AWS SDK v3: Parameter Store (versions, labels, selectors, paths,
// the asynchronous aws:ec2:image check, the 100-version limit) and Run Command.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { DeregisterImageCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import {
  DeleteParameterCommand,
  DescribeInstanceInformationCommand,
  DescribeParametersCommand,
  GetCommandInvocationCommand,
  GetParameterCommand,
  GetParameterHistoryCommand,
  GetParametersByPathCommand,
  GetParametersCommand,
  LabelParameterVersionCommand,
  ListCommandInvocationsCommand,
  PutParameterCommand,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { start, type Localcloud } from './index.js';
import { seedImage } from './seed.js';
import { clientConfig, errorOf, until } from './test-support.js';

// A bound for slow shared CI machines, not a performance assertion (bench/ measures speed).
jest.setTimeout(30_000);

const REGION = 'us-east-1';

let lc: Localcloud;
let ssm: SSMClient;
let ec2: EC2Client;

beforeAll(async () => {
  lc = await start({
    durations: { instanceBoot: 100, provision: 100, ssmValidation: 150, commandRun: 100, instanceStop: 100 },
  });
  ssm = new SSMClient(clientConfig(lc, REGION));
  ec2 = new EC2Client(clientConfig(lc, REGION));
});

afterAll(async () => {
  ssm.destroy();
  ec2.destroy();
  await lc.stop();
});

async function value(name: string): Promise<string | undefined> {
  return (await ssm.send(new GetParameterCommand({ Name: name }))).Parameter?.Value;
}

describe('parameters', () => {
  it('versions a parameter, refuses to overwrite without Overwrite, and selects by version and label', async () => {
    const name = '/app/web/color';
    expect(
      (await ssm.send(new PutParameterCommand({ Name: name, Value: 'blue', Type: 'String' }))).Version,
    ).toBe(1);
    expect(
      await errorOf(ssm.send(new PutParameterCommand({ Name: name, Value: 'red', Type: 'String' }))),
    ).toBe('ParameterAlreadyExists');
    expect(
      (await ssm.send(new PutParameterCommand({ Name: name, Value: 'red', Overwrite: true }))).Version,
    ).toBe(2);
    const labelled = await ssm.send(
      new LabelParameterVersionCommand({
        Name: name,
        ParameterVersion: 1,
        Labels: ['stable', '1bad', 'awsy'],
      }),
    );
    expect([labelled.ParameterVersion, labelled.InvalidLabels]).toEqual([1, ['1bad', 'awsy']]);

    expect(await value(name)).toBe('red');
    expect(await value(`${name}:1`)).toBe('blue');
    const byLabel = (await ssm.send(new GetParameterCommand({ Name: `${name}:stable` }))).Parameter!;
    expect([byLabel.Value, byLabel.Selector, byLabel.Version]).toEqual(['blue', ':stable', 1]);
    expect(await errorOf(ssm.send(new GetParameterCommand({ Name: `${name}:7` })))).toBe(
      'ParameterVersionNotFound',
    );

    // Labelling another version moves the label.
    await ssm.send(new LabelParameterVersionCommand({ Name: name, Labels: ['stable'] }));
    const history = await ssm.send(new GetParameterHistoryCommand({ Name: name }));
    expect(history.Parameters!.map((p) => [p.Version, p.Value, p.Labels])).toEqual([
      [1, 'blue', []],
      [2, 'red', ['stable']],
    ]);
  });

  it('lists by path (one level or recursive), describes, gets several and deletes', async () => {
    await ssm.send(new PutParameterCommand({ Name: '/tree/a', Value: '1', Type: 'String' }));
    await ssm.send(new PutParameterCommand({ Name: '/tree/b', Value: '2', Type: 'SecureString' }));
    await ssm.send(new PutParameterCommand({ Name: '/tree/deep/c', Value: '3', Type: 'String' }));
    const oneLevel = await ssm.send(new GetParametersByPathCommand({ Path: '/tree' }));
    expect(oneLevel.Parameters!.map((p) => p.Name)).toEqual(['/tree/a', '/tree/b']);
    const all = await ssm.send(
      new GetParametersByPathCommand({ Path: '/tree', Recursive: true, WithDecryption: true }),
    );
    expect(all.Parameters!.map((p) => [p.Name, p.Value])).toEqual([
      ['/tree/a', '1'],
      ['/tree/b', '2'],
      ['/tree/deep/c', '3'],
    ]);
    const secret = (await ssm.send(new GetParameterCommand({ Name: '/tree/b' }))).Parameter!;
    expect(secret.Value).not.toBe('2');
    const described = await ssm.send(
      new DescribeParametersCommand({
        ParameterFilters: [{ Key: 'Name', Option: 'BeginsWith', Values: ['/tree/'] }],
      }),
    );
    expect(described.Parameters!.map((p) => p.Name)).toEqual(['/tree/a', '/tree/b', '/tree/deep/c']);
    const several = await ssm.send(new GetParametersCommand({ Names: ['/tree/a', '/tree/missing'] }));
    expect([several.Parameters!.map((p) => p.Name), several.InvalidParameters]).toEqual([
      ['/tree/a'],
      ['/tree/missing'],
    ]);
    await ssm.send(new DeleteParameterCommand({ Name: '/tree/a' }));
    expect(await errorOf(ssm.send(new GetParameterCommand({ Name: '/tree/a' })))).toBe('ParameterNotFound');
    expect(await errorOf(ssm.send(new DeleteParameterCommand({ Name: '/tree/a' })))).toBe(
      'ParameterNotFound',
    );
  });

  it('reads the public AMI parameters but refuses names under aws or ssm', async () => {
    expect(await value('/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base')).toMatch(
      /^ami-/,
    );
    expect(
      await errorOf(
        ssm.send(new PutParameterCommand({ Name: '/aws/service/mine', Value: 'x', Type: 'String' })),
      ),
    ).toBe('ValidationException');
  });

  it('checks aws:ec2:image values asynchronously: a version naming no image never becomes current', async () => {
    const name = '/golden/ami';
    const good = seedImage(lc.world.region(REGION), { name: 'golden-a' }).imageId;
    const put = await ssm.send(
      new PutParameterCommand({ Name: name, Value: good, Type: 'String', DataType: 'aws:ec2:image' }),
    );
    expect(put.Version).toBe(1);
    // Accepted at once, current only after SSM's check.
    expect(await errorOf(ssm.send(new GetParameterCommand({ Name: name })))).toBe('ParameterNotFound');
    await until('version 1 to be validated', async () =>
      (await errorOf(value(name))) === 'no error' ? true : undefined,
    );
    expect(await value(name)).toBe(good);

    const ghost = 'ami-0123456789abcdef0';
    const rejected = await ssm.send(new PutParameterCommand({ Name: name, Value: ghost, Overwrite: true }));
    expect(rejected.Version).toBe(2);
    await until('the check to run', () =>
      lc.world.region(REGION).ssm.pending.length === 0 ? true : undefined,
    );
    expect(await value(name)).toBe(good);
    const history = await ssm.send(new GetParameterHistoryCommand({ Name: name }));
    expect(history.Parameters!.map((p) => p.Value)).toEqual([good]);

    expect(
      await errorOf(ssm.send(new PutParameterCommand({ Name: name, Value: 'not-an-ami', Overwrite: true }))),
    ).toBe('ValidationException');
    expect(
      await errorOf(
        ssm.send(new PutParameterCommand({ Name: name, Value: good, Overwrite: true, DataType: 'text' })),
      ),
    ).toBe('ValidationException');

    // An image deregistered before the check is rejected too.
    const doomed = seedImage(lc.world.region(REGION), { name: 'golden-b' }).imageId;
    await ssm.send(new PutParameterCommand({ Name: name, Value: doomed, Overwrite: true }));
    await ec2.send(new DeregisterImageCommand({ ImageId: doomed }));
    await until('the check to run', () =>
      lc.world.region(REGION).ssm.pending.length === 0 ? true : undefined,
    );
    expect(await value(name)).toBe(good);
  });

  it('keeps the highest version current when an older one is accepted later', async () => {
    const name = '/golden/out-of-order';
    const [a, b] = ['golden-c', 'golden-d'].map(
      (n) => seedImage(lc.world.region(REGION), { name: n }).imageId,
    );
    await ssm.send(
      new PutParameterCommand({ Name: name, Value: a!, Type: 'String', DataType: 'aws:ec2:image' }),
    );
    await until('version 1', async () => ((await errorOf(value(name))) === 'no error' ? true : undefined));
    lc.control.setDurations({ ssmValidation: 400 });
    await ssm.send(new PutParameterCommand({ Name: name, Value: b!, Overwrite: true }));
    lc.control.setDurations({ ssmValidation: 20 });
    await ssm.send(new PutParameterCommand({ Name: name, Value: a!, Overwrite: true }));
    await until('both checks to run', () =>
      lc.world.region(REGION).ssm.pending.length === 0 ? true : undefined,
    );
    const current = (await ssm.send(new GetParameterCommand({ Name: name }))).Parameter!;
    expect([current.Version, current.Value]).toEqual([3, a]);
    lc.control.setDurations({ ssmValidation: 150 });
  });

  it('keeps 100 versions, and refuses a 101st while the oldest carries a label', async () => {
    const name = '/many/versions';
    for (let i = 1; i <= 100; i++) {
      await ssm.send(
        new PutParameterCommand({ Name: name, Value: `v${i}`, Type: 'String', Overwrite: i > 1 }),
      );
    }
    await ssm.send(new LabelParameterVersionCommand({ Name: name, ParameterVersion: 1, Labels: ['pinned'] }));
    expect(
      await errorOf(ssm.send(new PutParameterCommand({ Name: name, Value: 'v101', Overwrite: true }))),
    ).toBe('ParameterMaxVersionLimitExceeded');
    await ssm.send(new LabelParameterVersionCommand({ Name: name, ParameterVersion: 2, Labels: ['pinned'] }));
    expect(
      (await ssm.send(new PutParameterCommand({ Name: name, Value: 'v101', Overwrite: true }))).Version,
    ).toBe(101);
    expect(await errorOf(ssm.send(new GetParameterCommand({ Name: `${name}:1` })))).toBe(
      'ParameterVersionNotFound',
    );
    expect(await value(`${name}:pinned`)).toBe('v2');
  });
});

describe('run command', () => {
  it('runs commands on managed instances: output, failures, and a shutdown that stops the instance', async () => {
    const launched = await ec2.send(
      new RunInstancesCommand({
        ImageId: seedImage(lc.world.region(REGION), { name: 'managed' }).imageId,
        MinCount: 2,
        MaxCount: 2,
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Role', Value: 'builder' }] }],
      }),
    );
    const ids = launched.Instances!.map((i) => i.InstanceId!);
    await until('the agents to come online', async () => {
      const info = await ssm.send(
        new DescribeInstanceInformationCommand({
          Filters: [
            { Key: 'InstanceIds', Values: ids },
            { Key: 'PingStatus', Values: ['Online'] },
          ],
        }),
      );
      return info.InstanceInformationList!.length === 2 ? true : undefined;
    });

    const sent = await ssm.send(
      new SendCommandCommand({
        DocumentName: 'AWS-RunShellScript',
        Targets: [{ Key: 'tag:Role', Values: ['builder'] }],
        Parameters: { commands: ['echo "hello from localcloud"', 'yum -y update'] },
      }),
    );
    const commandId = sent.Command!.CommandId!;
    const done = await until('the invocation to finish', async () => {
      const out = await ssm.send(
        new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: ids[0]! }),
      );
      return out.Status === 'Success' ? out : undefined;
    });
    expect([done.ResponseCode, done.StandardOutputContent]).toEqual([0, 'hello from localcloud']);
    const listed = await ssm.send(new ListCommandInvocationsCommand({ CommandId: commandId }));
    expect(listed.CommandInvocations!.map((i) => i.InstanceId).sort()).toEqual([...ids].sort());

    const failing = await ssm.send(
      new SendCommandCommand({
        DocumentName: 'AWS-RunShellScript',
        InstanceIds: [ids[0]!],
        Parameters: { commands: ['# localcloud: exit 2', 'false'] },
      }),
    );
    const failed = await until('the failure', async () => {
      const out = await ssm.send(
        new GetCommandInvocationCommand({ CommandId: failing.Command!.CommandId!, InstanceId: ids[0]! }),
      );
      return out.Status === 'Failed' ? out : undefined;
    });
    expect(failed.ResponseCode).toBe(2);

    await ssm.send(
      new SendCommandCommand({
        DocumentName: 'AWS-RunShellScript',
        InstanceIds: [ids[1]!],
        Parameters: { commands: ['shutdown -h now'] },
      }),
    );
    await until('the instance to stop', () =>
      lc.world.region(REGION).ec2.instances.get(ids[1]!)?.state === 'stopped' ? true : undefined,
    );
    expect(
      await errorOf(
        ssm.send(
          new SendCommandCommand({
            DocumentName: 'AWS-RunShellScript',
            InstanceIds: [ids[1]!],
            Parameters: { commands: ['true'] },
          }),
        ),
      ),
    ).toBe('InvalidInstanceId');
    expect(
      await errorOf(
        ssm.send(
          new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: 'i-0123456789abcdef0' }),
        ),
      ),
    ).toBe('InvocationDoesNotExist');
  });
});

describe('sts', () => {
  it('names the simulated account', async () => {
    const sts = new STSClient(clientConfig(lc, REGION));
    const who = await sts.send(new GetCallerIdentityCommand({}));
    expect([who.Account, who.UserId]).toEqual(['000000000000', 'AKIDLOCALCLOUDTEST']);
    sts.destroy();
  });
});
