// Entry of bake-ami: inputs → bake → outputs, saved state for the post step, job summary.
import { EC2Client } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { randomBytes } from 'node:crypto';
import { bake } from '../bake/bake.js';
import { bakeSpec } from '../bake/inputs.js';
import { childProcessRunner } from '../bake/packer-process.js';
import { renderBakeSummary, renderFailedBakeSummary } from '../bake/summary.js';
import { runAction } from '../core/run.js';

// The SDK clients this action uses: the only ones its bundle loads.
const services = { ec2: EC2Client, ssm: SSMClient };

await runAction(bakeSpec, services, async (inputs, ctx, io) => {
  const env = (name: string) => io.env(name) || undefined;
  const server = env('GITHUB_SERVER_URL') ?? 'https://github.com';
  const repo = env('GITHUB_REPOSITORY');
  const runId = env('GITHUB_RUN_ID');
  const runUrl = repo && runId ? `${server}/${repo}/actions/runs/${runId}` : undefined;
  // One id per bake step: run, attempt and a random part (two bakes in one job stay apart).
  const bakeId = `${runId ?? 'local'}-${env('GITHUB_RUN_ATTEMPT') ?? '1'}-${randomBytes(4).toString('hex')}`;
  let failed: string | undefined;
  const r = await bake(ctx, {
    ...inputs,
    bakeId,
    commit: env('GITHUB_SHA'),
    runUrl,
    workingDirectory: env('GITHUB_WORKSPACE') ?? process.cwd(),
    record: (name, value) => io.saveState(name, value),
    processRunner: childProcessRunner(env('PATH')),
    onFailure: (partial, cleanup) => {
      failed = renderFailedBakeSummary(partial, cleanup, ctx.signal.aborted);
    },
  }).catch(async (err: unknown) => {
    if (failed) await io.summary(failed);
    throw err;
  });
  io.setOutputs({
    'ami-id': r.amiId ?? '',
    'ami-name': r.amiName,
    amis: r.amis,
    'source-ami-id': r.sourceAmiId,
    fingerprint: r.fingerprint,
    reused: r.reused,
    'builder-instance-id': r.builderInstanceId ?? '',
  });
  await io.summary(renderBakeSummary(r));
});
