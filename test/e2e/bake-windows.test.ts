// Issue 27, Windows that fails loudly: over Run Command, a failing EC2Launch sysprep ends the bake
// at once (not the timeout), and a script's exit 3010 reboots the builder and resumes.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localcloudEnv, runActionStep, type ActionRun } from '../harness/run-action.js';
import { start, type Localcloud } from '../localcloud/index.js';

jest.setTimeout(180_000);

let lc: Localcloud;
let workdir: string;

beforeAll(async () => {
  lc = await start({ port: 0 });
  workdir = mkdtempSync(join(tmpdir(), 'bake-e2e-windows-'));
});
afterAll(async () => {
  await lc.stop();
  rmSync(workdir, { recursive: true, force: true });
});

const WINDOWS = 'resolve:ssm:/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base';

let counter = 0;
async function bake(script: string): Promise<{ r: ActionRun; name: string }> {
  counter += 1;
  const name = `win-${counter}`;
  writeFileSync(join(workdir, `${name}.ps1`), script);
  const r = await runActionStep('bake-ami', {
    // timeout-minutes stays at its default (60): a failure not seen early would hang the test.
    inputs: {
      name,
      'source-ami': WINDOWS,
      'provision-scripts': `${name}.ps1`,
      'iam-instance-profile': 'golden-ami-builder',
      'poll-interval-seconds': '0.05',
    },
    env: localcloudEnv(lc.url),
    workdir,
  });
  return { r, name };
}

const builderOf = (r: ActionRun) =>
  lc.world.region('us-east-1').ec2.instances.get(r.state['builder-instance-id']!)!;

describe('bake-ami e2e: Windows over Run Command fails loudly', () => {
  it('a failing EC2Launch sysprep fails the bake with its exit code and stderr, within two polls; nothing is imaged', async () => {
    const { r, name } = await bake("echo 'bake: configuring'\n# localcloud: sysprep-fail 5\n");
    expect(r.errors).toEqual([
      expect.stringMatching(
        /^phase provision failed: EC2Launch sysprep failed on builder i-\w+ \(exit code 5\): ec2launch\.exe : sysprep failed: exit status 5$/,
      ),
    ]);
    // The sysprep invocation's end, then at most two polls of it.
    const builder = builderOf(r).instanceId;
    const sysprep = [...lc.world.region('us-east-1').ssm.commands.values()].find(
      (c) => c.instanceIds.includes(builder) && /sysprep/.test(c.comment ?? ''),
    )!;
    const endedAt = sysprep.invocations.get(builder)!.finishedAt!;
    const reads = lc.logs.calls
      .query({ operation: 'GetCommandInvocation' })
      .filter((c) => c.ts >= endedAt && (c.params as { CommandId?: string }).CommandId === sysprep.commandId);
    expect(reads.length).toBeGreaterThanOrEqual(1);
    expect(reads.length).toBeLessThanOrEqual(2);
    const images = [...lc.world.region('us-east-1').ec2.images.values()].filter((i) =>
      i.name.startsWith(`${name}-`),
    );
    expect(images).toEqual([]);
    expect(['shutting-down', 'terminated']).toContain(builderOf(r).state);
  });

  it('a script exiting 3010 reboots the builder and is run again; the bake goes on and succeeds', async () => {
    const { r } = await bake("echo 'bake: installing, a reboot completes it'\n# localcloud: exit 3010\n");
    expect({ exit: r.exitCode, errors: r.errors }).toEqual({ exit: 0, errors: [] });
    const builder = builderOf(r);
    expect(builder.console.some((l) => /reboot: Restarting system \(SSM Agent, exit 3010\)/.test(l))).toBe(
      true,
    );
    const script = [...lc.world.region('us-east-1').ssm.commands.values()].find(
      (c) => c.instanceIds.includes(builder.instanceId) && /win-\d+\.ps1/.test(c.comment ?? ''),
    )!;
    expect(script.invocations.get(builder.instanceId)).toMatchObject({ status: 'Success', rebooted: true });
    expect(lc.world.region('us-east-1').ec2.images.get(r.outputs['ami-id']!)?.state).toBe('available');
  });
});
