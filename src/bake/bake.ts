// bake(): one bake-ami step from inputs to AMIs — local checks, source, reuse lookup, janitor, then a dry run's plan or produce().
import { deadlineAfter } from '../core/poll.js';
import type { ActionContext } from '../core/context.js';
import { copyKey } from './image/distribute.js';
import { checkFastLaunchPlatform } from './image/fast-launch.js';
import { checkNameFree } from './image/name-free.js';
import { imageNaming } from './image/ami-name.js';
import { fingerprint } from './lookup/fingerprint.js';
import { loadTestStage, type TestStage } from './test-stage/load.js';
import { reapExpiredBuilders, retireUnfinishedImages } from './leftovers/janitor.js';
import { removeExpiredPackerTemporaries } from './packer/janitor.js';
import { checkNetwork } from './native/network.js';
import { locatePacker } from './packer/build.js';
import { Phases } from './phases.js';
import { planLines } from './plan.js';
import { adopt, finish, produce } from './produce.js';
import { loadProvisioning, type Provisioning } from './lookup/provisioning.js';
import { findReusable } from './lookup/reuse.js';
import { scheduleFor } from './schedule.js';
import { resolveSource } from './lookup/source.js';
import { STATE } from './state.js';
import type { BakeResult, BakeRunOptions, Found, Run } from './types.js';

export type { BakeOptions, BakeResult, BakeRunOptions } from './types.js';

/** Builders outlive their bake's timeout by this much before another bake's janitor takes them. */
const EXPIRY_GRACE_MS = 30 * 60_000;

/**
 * Bakes (or reuses) an AMI: source, fingerprint and reuse, janitor, then launch → provision →
 * image (or Packer), copy and share, builder terminated. Anything a failed or cancelled bake
 * created is removed before the error is rethrown; the post step is the backstop.
 */
export async function bake(ctx: ActionContext, o: BakeRunOptions): Promise<BakeResult> {
  // Local checks first: unreadable files and a missing packer are input errors, before any AWS call.
  const provisioning = await loadProvisioning(o);
  const test = await loadTestStage(o);
  const packerPath = o.engine === 'packer' ? await locatePacker(o.processRunner) : undefined;
  if (provisioning.kind === 'scripts' && !o.iamInstanceProfile)
    ctx.log.warning(
      'provision-scripts: no iam-instance-profile given; Run Command reaches the builder only through an instance profile that allows SSM (for example AmazonSSMManagedInstanceCore), or the bake waits for the agent until timeout',
    );
  // Not refused: `reuse-if-unchanged: ${{ inputs.force && 'false' || 'true' }}` beside a fixed age is a way to force a rebake.
  if (o.reuseMaxAgeDays !== undefined && !o.reuseIfUnchanged)
    ctx.log.warning('reuse-max-age: ignored, reuse-if-unchanged is false (every run bakes anew)');
  // The name too is an input error, found before any AWS call.
  const started = ctx.clock.now();
  const naming = imageNaming(o, { ...o, started });
  // From here the post step has something to look after.
  o.record(STATE.bakeId, o.bakeId);
  o.record(STATE.region, o.region);
  const run = startRun(ctx, o, started, naming);
  // Read-only lookups first: a refusal that needs the source's platform comes before the janitor changes anything.
  const found = await lookUp(ctx, run, o, provisioning, packerPath, test);
  if (o.windowsFastLaunch) checkFastLaunchPlatform(run.result.platform);
  if (!found.reusable && o.engine === 'native')
    await checkNameFree(ctx, run.result.amiName, {
      regions: [o.region, ...o.copyToRegions],
      bakeId: o.bakeId,
    });
  if (o.janitor) await janitor(ctx, run, o);
  if (o.dryRun) return dryRun(ctx, run, o, found);
  return produce(ctx, run, o, found);
}

function startRun(
  ctx: ActionContext,
  o: BakeRunOptions,
  started: number,
  naming: { name: string; description?: string },
): Run {
  const deadline = deadlineAfter(ctx.clock, o.timeoutMs);
  const phases = new Phases(ctx.clock, ctx.log, deadline, o.timeoutMs, ctx.signal);
  const result: BakeResult = {
    region: o.region,
    amiName: naming.name,
    ...(naming.description !== undefined ? { amiDescription: naming.description } : {}),
    amis: {},
    sourceAmiId: '',
    sourceVia: '',
    platform: o.platform ?? 'linux',
    fingerprint: '',
    reused: false,
    dryRun: o.dryRun,
    plan: [],
    timings: phases.timings,
    janitor: [],
    janitorImages: [],
    janitorPacker: [],
    sharedWith: [],
    engine: o.engine,
    totalMs: 0,
  };
  return {
    started,
    deadline,
    phases,
    result,
    expiresAt: started + o.timeoutMs + EXPIRY_GRACE_MS,
  };
}

async function janitor(
  ctx: ActionContext,
  run: Run,
  o: Pick<BakeRunOptions, 'dryRun' | 'region' | 'copyToRegions' | 'janitorRegions' | 'engine'>,
): Promise<void> {
  await run.phases.run(
    'janitor',
    'Janitor: expired builders and unfinished images of earlier bakes',
    async () => {
      run.result.janitor = await reapExpiredBuilders(ctx, { now: run.started, dryRun: o.dryRun });
      run.result.janitorImages = await retireUnfinishedImages(ctx, {
        now: run.started,
        dryRun: o.dryRun,
        regions: [o.region, ...o.copyToRegions, ...o.janitorRegions],
      });
      if (o.engine === 'packer')
        run.result.janitorPacker = await removeExpiredPackerTemporaries(ctx, {
          now: run.started,
          dryRun: o.dryRun,
        });
    },
  );
}

/** Source, fingerprint and (with reuse-if-unchanged) an AMI that already holds the same. */
async function lookUp(
  ctx: ActionContext,
  run: Run,
  o: BakeRunOptions,
  provisioning: Provisioning,
  packerPath: string | undefined,
  test: TestStage | undefined,
): Promise<Found> {
  const { phases, result } = run;
  const source = await phases.run('source', 'Resolve the source image', async () => {
    const s = await resolveSource(ctx, o);
    ctx.log.info(
      `Source image: ${s.imageId}${s.name ? ` (${s.name})` : ''} from ${s.via}, platform ${s.platform}.`,
    );
    return s;
  });
  result.sourceAmiId = source.imageId;
  result.sourceVia = source.via;
  result.platform = o.platform ?? source.platform;
  result.fingerprint = fingerprint({
    ...o,
    sourceAmiId: source.imageId,
    platform: result.platform,
    provisioning,
    test,
  });
  ctx.log.info(`Fingerprint: ${result.fingerprint}`);
  const unresolved = provisioning.kind === 'packer' ? provisioning.template.unresolved : [];
  for (const u of unresolved)
    ctx.log.warning(`packer-template: the fingerprint cannot cover ${u}, so no earlier AMI is reused`);
  const notBefore = o.reuseMaxAgeDays ? run.started - o.reuseMaxAgeDays * 86_400_000 : undefined;
  const reusable =
    o.reuseIfUnchanged && !unresolved.length
      ? await phases.run('reuse', 'Look for an AMI with the same fingerprint', async () => {
          const found = await findReusable(ctx, {
            region: o.region,
            bakeName: o.name,
            fingerprint: result.fingerprint,
            notBefore,
          });
          ctx.log.info(
            found ? `Found ${found.ImageId} (${found.Name ?? ''}): nothing changed.` : 'None found: baking.',
          );
          return found;
        })
      : undefined;
  const schedule = scheduleFor(o.pollIntervalMs, {
    platform: result.platform,
    instanceType: o.instanceType,
    timeScale: o.timeScale,
  });
  return { source, provisioning, packerPath, reusable, schedule, notBefore, test };
}

async function dryRun(ctx: ActionContext, run: Run, o: BakeRunOptions, f: Found): Promise<BakeResult> {
  const { result } = run;
  const reusable = f.reusable?.ImageId ? { ...f.reusable, ImageId: f.reusable.ImageId } : undefined;
  if (reusable) {
    // What a real run would output: the reused AMI and the copies that already exist.
    result.amis[o.region] = reusable.ImageId;
    for (const region of o.copyToRegions) {
      const copy = await findReusable(ctx, {
        region,
        bakeName: o.name,
        fingerprint: result.fingerprint,
        notBefore: f.notBefore,
        kmsKey: copyKey(o, region),
      });
      if (copy?.ImageId) result.amis[region] = copy.ImageId;
    }
  }
  if (!reusable && o.engine === 'native')
    await run.phases.run('network', 'Check subnet and security groups', () => checkNetwork(ctx, o));
  result.plan = planLines(o, { ...f, platform: result.platform, result });
  if (reusable) adopt(result, reusable);
  await ctx.log.group('Plan (dry run: nothing created)', async () => {
    for (const line of result.plan) ctx.log.info(line);
  });
  return finish(ctx, run);
}
