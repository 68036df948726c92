// Provisions the launched builder (user data, or scripts over Run Command) and waits until it has shut down.
import type { ActionContext } from '../../core/context.js';
import { stopBuilder, waitForBuilderStopped } from './builder.js';
import { SUCCESS_MARKER } from './console.js';
import type { Provisioning } from '../lookup/provisioning.js';
import {
  failIfCommandFailed,
  runScript,
  sendCommand,
  waitForAgent,
  WINDOWS_SYSPREP_SHUTDOWN,
} from './run-command.js';
import type { Schedule } from '../schedule.js';
import type { Platform } from '../lookup/source.js';

export interface ProvisionOptions {
  instanceId: string;
  /** When RunInstances returned (clock ms): the boot is expected to end `schedule.expect.boot` later. */
  launchedAt: number;
  provisioning: Provisioning;
  platform: Platform;
  bakeId: string;
  failureMarker: string;
  deadline: number;
  schedule: Schedule;
  /** The phase a failure is named after (the test stage runs the same proof). */
  phase?: string;
}

/**
 * Provisions the launched builder and waits until it has shut down: user data does both itself;
 * scripts run one by one over SSM, then the builder is stopped (Linux) or sysprepped (Windows).
 */
export async function provision(ctx: ActionContext, p: ProvisionOptions): Promise<void> {
  const wait = { instanceId: p.instanceId, deadline: p.deadline, schedule: p.schedule };
  // User data: the first poll when the boot should be over (running, building).
  let firstPollAt = p.launchedAt + p.schedule.expect.boot;
  let whileRunning: (() => Promise<void>) | undefined;
  if (p.provisioning.kind === 'scripts') {
    await waitForAgent(ctx, { ...wait, launchedAt: p.launchedAt });
    const scripts = p.provisioning.scripts;
    for (const [index, script] of scripts.entries())
      await runScript(ctx, {
        ...wait,
        platform: p.platform,
        script,
        index,
        total: scripts.length,
        bakeId: p.bakeId,
      });
    if (p.platform === 'windows') {
      ctx.log.info('Scripts done: generalising with EC2Launch sysprep, which shuts the builder down.');
      const sysprep = await sendCommand(ctx, {
        instanceId: p.instanceId,
        platform: 'windows',
        commands: WINDOWS_SYSPREP_SHUTDOWN,
        comment: `bake-ami ${p.bakeId} sysprep`,
        timeoutSeconds: (p.deadline - ctx.clock.now()) / 1000,
      });
      // A sysprep that fails leaves the builder running: its result ends the wait.
      whileRunning = () => failIfCommandFailed(ctx, p.instanceId, sysprep, 'EC2Launch sysprep');
      // Sysprep takes as long as it takes: polled like a build until the builder is seen stopping.
      firstPollAt = ctx.clock.now() + p.schedule.buildMs;
    } else {
      ctx.log.info('Scripts done: stopping the builder.');
      await stopBuilder(ctx, p.instanceId);
      firstPollAt = ctx.clock.now() + p.schedule.expect.stop;
    }
  }
  await waitForBuilderStopped(ctx, {
    ...wait,
    firstPollAt,
    failureMarker: p.failureMarker,
    // User data that prints the success marker must be seen printing it; scripts proved themselves
    // by their Run Command exit codes.
    requireSuccess: p.provisioning.kind === 'user-data' && p.provisioning.userData.includes(SUCCESS_MARKER),
    userDataShutsDown: p.provisioning.kind === 'user-data' && p.platform === 'linux',
    ...(whileRunning ? { whileRunning } : {}),
    phase: p.phase ?? 'provision',
    what:
      p.provisioning.kind === 'scripts'
        ? 'waiting for the builder to shut down'
        : 'waiting for the user data to finish and shut the builder down',
  });
}
