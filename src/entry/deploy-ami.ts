import { runAction } from '../core/run.js';
import { deploy, DeployFailure, type DeployResult } from '../deploy/deploy.js';
import { deploySpec } from '../deploy/inputs.js';
import { deploySteps } from '../deploy/steps.js';
import { renderDeploySummary } from '../deploy/summary.js';
import type { StepIO } from '../core/run.js';

function writeOutputs(io: StepIO, r: DeployResult): void {
  io.setOutputs({
    'previous-ami-id': r.promote.previousAmiId ?? '',
    version: r.promote.version,
    changed: r.promote.changed,
    refreshes: r.roll.refreshes,
    'asg-names': r.roll.asgNames.join(','),
    status: r.status,
    results: r.wait?.results ?? [],
    'reaped-count': r.reap?.reapedCount ?? 0,
  });
}

await runAction(deploySpec, async (inputs, ctx, io) => {
  try {
    const result = await deploy(ctx, inputs, deploySteps);
    writeOutputs(io, result);
    await io.summary(renderDeploySummary(result));
  } catch (err) {
    if (err instanceof DeployFailure) {
      writeOutputs(io, err.result);
      await io.summary(renderDeploySummary(err.result));
    }
    throw err;
  }
});
