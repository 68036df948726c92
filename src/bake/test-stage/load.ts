// The test stage: one instance launched from the new AMI runs the test (user data, proven as the
// build's is, or a script over Run Command), then is terminated. Before anything is copied or shared.
import { TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { ActionContext } from '../../core/context.js';
import { ConfigurationError, describeError } from '../../core/errors.js';
import { seconds } from '../../core/summary.js';
import { launchBuilder, type LaunchOptions } from '../native/builder.js';
import { MAX_USER_DATA_BYTES } from '../inputs.js';
import { provision } from '../native/provision.js';
import type { Script } from '../lookup/provisioning.js';
import { runScript, waitForAgent } from '../native/run-command.js';
import { waitForTestHealth } from './health.js';
import type { Schedule } from '../schedule.js';
import type { Platform } from '../lookup/source.js';

export type TestStage = { kind: 'user-data'; userData: string } | { kind: 'script'; script: Script };

/** Reads the test up front (an input error before any AWS call); undefined when there is none. */
export async function loadTestStage(o: {
  testUserData?: string;
  testUserDataFile?: string;
  testScript?: string;
  workingDirectory: string;
}): Promise<TestStage | undefined> {
  const read = async (input: string, path: string): Promise<string> => {
    const content = await readFile(isAbsolute(path) ? path : resolve(o.workingDirectory, path), 'utf8').catch(
      (err: NodeJS.ErrnoException) => {
        throw new ConfigurationError([
          `${input}: cannot read ${JSON.stringify(path)} (${err.code === 'ENOENT' ? 'no such file' : (err.code ?? String(err))})`,
        ]);
      },
    );
    if (!content.trim()) throw new ConfigurationError([`${input}: ${JSON.stringify(path)} is empty`]);
    return content;
  };
  if (o.testScript !== undefined)
    return {
      kind: 'script',
      script: { path: o.testScript, content: await read('test-script', o.testScript) },
    };
  const userData =
    o.testUserDataFile !== undefined ? await read('test-user-data-file', o.testUserDataFile) : o.testUserData;
  if (userData === undefined) return undefined;
  const bytes = Buffer.byteLength(userData);
  if (bytes > MAX_USER_DATA_BYTES)
    throw new ConfigurationError([
      `${o.testUserDataFile !== undefined ? 'test-user-data-file' : 'test-user-data'}: is ${bytes} bytes; EC2 accepts at most ${MAX_USER_DATA_BYTES}`,
    ]);
  if (!userData.trim()) throw new ConfigurationError(['test-user-data: is empty']);
  return { kind: 'user-data', userData };
}

export type TestLaunch = Omit<LaunchOptions, 'source' | 'userData' | 'spot' | 'clientToken'>;

/**
 * Launches one instance from `amiId` with the bake's settings and tags (so cleanup and the post
 * step find it by the bake id), runs the test, and terminates it. Throws when the test fails;
 * the caller's failure path then removes the image and the instance. Returns a line for the summary.
 */
export async function testImage(
  ctx: ActionContext,
  test: TestStage,
  o: TestLaunch & {
    amiId: string;
    /** The new AMI's root device: the source's. */
    rootDeviceName?: string;
    platform: Platform;
    failureMarker: string;
    deadline: number;
    schedule: Schedule;
    testHealthUrl?: string;
    pollIntervalMs: number;
  },
): Promise<string> {
  const started = ctx.clock.now();
  const instanceId = await launchBuilder(
    ctx,
    {
      ...o,
      source: {
        imageId: o.amiId,
        platform: o.platform,
        rootDeviceName: o.rootDeviceName,
        via: 'the new AMI',
      },
      // On-Demand, and its own token: the builder's would return the builder.
      spot: undefined,
      clientToken: `${o.bakeId}-test`,
      // Never the build's user data (the bake's options carry it): run again, it would provision
      // the image a second time and power the test instance off under the test.
      userData: test.kind === 'user-data' ? test.userData : undefined,
    },
    (id) => ctx.log.info(`Test instance ${id} launched from ${o.amiId}.`),
  );
  const launchedAt = ctx.clock.now();
  const wait = { instanceId, deadline: o.deadline, schedule: o.schedule };
  if (test.kind === 'script') {
    await waitForAgent(ctx, { ...wait, launchedAt });
    await runScript(ctx, {
      ...wait,
      platform: o.platform,
      script: test.script,
      index: 0,
      total: 1,
      bakeId: o.bakeId,
    });
    if (o.testHealthUrl) {
      const answer = await waitForTestHealth(ctx, { ...o, instanceId, url: o.testHealthUrl });
      ctx.log.info(`test-health-url ${o.testHealthUrl} answered ${answer} on ${instanceId}.`);
    }
  } else
    await provision(ctx, {
      ...wait,
      launchedAt,
      provisioning: { kind: 'user-data', userData: test.userData },
      platform: o.platform,
      bakeId: o.bakeId,
      failureMarker: o.failureMarker,
      phase: 'test',
    });
  await ctx.clients
    .ec2()
    .send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }))
    .catch((err: unknown) =>
      ctx.log.warning(
        `Test instance ${instanceId} not terminated yet (the post step retries): ${describeError(err)}`,
      ),
    );
  const line = `passed (${test.kind === 'script' ? test.script.path : 'test user data'} on ${instanceId}, ${seconds(ctx.clock.now() - started)})`;
  ctx.log.info(`Test ${line}; instance terminated.`);
  return line;
}
