// bake-ami through dist against localcloud: a build script that prints workflow commands
// (`::save-state name=…::` naming foreign resources) gets nothing foreign deleted.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { CreateImageCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localcloudEnv, runActionStep } from '../harness/run-action.js';
import { start, type Localcloud } from '../localcloud/index.js';
import { clientConfig, until } from '../localcloud/test-support.js';

jest.setTimeout(180_000);

let lc: Localcloud;
let workdir: string;

beforeAll(async () => {
  lc = await start({ port: 0 });
  workdir = mkdtempSync(join(tmpdir(), 'bake-e2e-forged-'));
});
afterAll(async () => {
  await lc.stop();
  rmSync(workdir, { recursive: true, force: true });
});

const SOURCE = 'resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64';

/** Another team's instance, and an AMI (with its snapshot) made from it. */
async function foreignResources() {
  const ec2 = new EC2Client(clientConfig(lc));
  const ImageId = lc.world.region('us-east-1').ec2.images.values().next().value!.imageId;
  const launched = await ec2.send(
    new RunInstancesCommand({
      ImageId,
      InstanceType: 't3.micro',
      MinCount: 1,
      MaxCount: 1,
      TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'team', Value: 'payments' }] }],
    }),
  );
  const instanceId = launched.Instances![0]!.InstanceId!;
  const region = lc.world.region('us-east-1');
  await until('foreign instance running', () =>
    region.ec2.instances.get(instanceId)?.state === 'running' ? true : undefined,
  );
  const { ImageId: amiId } = await ec2.send(
    new CreateImageCommand({ InstanceId: instanceId, Name: 'payments-2026', NoReboot: true }),
  );
  const snapshotId = region.ec2.images.get(amiId!)!.blockDeviceMappings[0]!.Ebs!.SnapshotId!;
  return { instanceId, amiId: amiId!, snapshotId };
}

describe('bake-ami e2e: forged state', () => {
  it('a script printing ::save-state with foreign ids gets nothing foreign deleted', async () => {
    const foreign = await foreignResources();
    const images = JSON.stringify([{ region: 'us-east-1', imageId: foreign.amiId }]);
    writeFileSync(
      join(workdir, 'evil.sh'),
      [
        'echo installing',
        `echo ::save-state name=images::${images}`,
        `echo ::save-state name=builder-instance-id::${foreign.instanceId}`,
        `echo ::warning::injected`,
        '# localcloud: exit 3',
        '',
      ].join('\n'),
    );
    const r = await runActionStep('bake-ami', {
      inputs: {
        name: 'forged',
        'source-ami': SOURCE,
        'provision-scripts': 'evil.sh',
        'iam-instance-profile': 'bake-builder',
        'poll-interval': '0.05',
      },
      env: localcloudEnv(lc.url),
      workdir,
    });
    expect(r.exitCode).toBe(1);
    expect(r.errors).toEqual([expect.stringMatching(/provision script evil.sh failed \(exit code 3/)]);
    // The lines were printed, but inside stop-commands: the runner took none of them as commands.
    expect(r.log).toContain(`::save-state name=images::${images}`);
    expect(r.state.images ?? '').not.toContain(foreign.amiId);
    expect(r.warnings).not.toContain('injected');
    expect(r.post?.exitCode).toBe(0);
    const region = lc.world.region('us-east-1');
    expect(region.ec2.instances.get(foreign.instanceId)?.state).toBe('running');
    expect(region.ec2.images.get(foreign.amiId)?.state).not.toBe('deregistered');
    expect(region.ec2.snapshots.has(foreign.snapshotId)).toBe(true);
  });
});
