import type { ActionContext } from '../core/run.js';
import type { BakeOptions } from './bake.js';
import { stopBuilder, waitForBuilderStopped } from './builder.js';
import { SUCCESS_MARKER } from './console.js';
import type { Delays } from './delays.js';
import type { Provisioning } from './provisioning.js';
import { runScript, sendCommand, waitForAgent, WINDOWS_SYSPREP_SHUTDOWN } from './run-command.js';
import type { Platform } from './source.js';

/**
 * Provisions the launched builder and waits until it has shut down: user data does both itself;
 * scripts run one by one over SSM, then the builder is stopped (Linux) or sysprepped (Windows).
 */
export async function provision(
  ctx: ActionContext,
  o: BakeOptions,
  p: { instanceId: string; provisioning: Provisioning; platform: Platform; deadline: number; delays: Delays },
): Promise<void> {
  const wait = { instanceId: p.instanceId, deadline: p.deadline, delays: p.delays };
  if (p.provisioning.kind === 'scripts') {
    await waitForAgent(ctx, wait);
    const scripts = p.provisioning.scripts;
    for (const [index, script] of scripts.entries())
      await runScript(ctx, {
        ...wait,
        platform: p.platform,
        script,
        index,
        total: scripts.length,
        bakeId: o.bakeId,
      });
    if (p.platform === 'windows') {
      ctx.log.info('Scripts done: generalising with EC2Launch sysprep, which shuts the builder down.');
      await sendCommand(ctx, {
        instanceId: p.instanceId,
        platform: 'windows',
        commands: WINDOWS_SYSPREP_SHUTDOWN,
        comment: `bake-ami ${o.bakeId} sysprep`,
        timeoutSeconds: (p.deadline - ctx.clock.now()) / 1000,
      });
    } else {
      ctx.log.info('Scripts done: stopping the builder.');
      await stopBuilder(ctx, p.instanceId);
    }
  }
  await waitForBuilderStopped(ctx, {
    ...wait,
    failureMarker: o.failureMarker,
    // User data that prints the success marker must be seen printing it; scripts proved themselves
    // by their Run Command exit codes.
    requireSuccess: p.provisioning.kind === 'user-data' && p.provisioning.userData.includes(SUCCESS_MARKER),
    phase: 'provision',
    what:
      p.provisioning.kind === 'scripts'
        ? 'waiting for the builder to shut down'
        : 'waiting for the user data to finish and shut the builder down',
  });
}
