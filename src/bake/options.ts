// bake-ami's options: from the parsed inputs and the runner's variables (bakeOptions, the
// capability's toOptions, pure), then the bake id and directory run() completes them with. Durations are in ms.
import type { StepEnv } from '../core/context.js';
import { ConfigurationError } from '../core/errors.js';
import type { BakeInputs } from './inputs.js';
import { childProcessRunner } from './packer/process.js';
import type { BakeOptions, BakeRunOptions } from './types.js';

/** Set only by a simulator (localcloud's harness): its durations over AWS's. */
const TIME_SCALE = 'GOLDEN_AMI_TIME_SCALE';

function timeScaleOf(value: string | undefined): number {
  if (value === undefined) return 1;
  const n = Number(value);
  if (!(n > 0 && n <= 1))
    throw new ConfigurationError([
      `${TIME_SCALE}: ${JSON.stringify(value)} is not a time scale; accepted: a number above 0, at most 1 (unset on AWS)`,
    ]);
  return n;
}

/**
 * The capability's toOptions: the inputs with what the runner says about this run (commit, run
 * URL, workspace), where the post step's state goes, and the bake id's run and attempt. Pure: it
 * reads only `inputs` and `step`; the id's random part and the current directory are run()'s.
 */
export function bakeOptions(inputs: BakeInputs, step: StepEnv): BakeOptions {
  const env = (name: string) => step.env(name) || undefined;
  const server = env('GITHUB_SERVER_URL') ?? 'https://github.com';
  const repo = env('GITHUB_REPOSITORY');
  const runId = env('GITHUB_RUN_ID');
  const i = inputs;
  return {
    name: i.name,
    region: i.region,
    sourceAmi: i.sourceAmi,
    sourceAmiFilter: i.sourceAmiFilter,
    sourceAmiOwners: i.sourceAmiOwners,
    platform: i.platform,
    engine: i.engine,
    instanceType: i.instanceType,
    subnetId: i.subnetId,
    securityGroupIds: i.securityGroupIds,
    iamInstanceProfile: i.iamInstanceProfile,
    volumeSize: i.volumeSize,
    volumeType: i.volumeType,
    volumeIops: i.volumeIops,
    volumeThroughput: i.volumeThroughput,
    imdsSupport: i.imdsSupport,
    windowsFastLaunch: i.windowsFastLaunch,
    fastLaunchMaxParallel: i.fastLaunchMaxParallel,
    failureMode: i.onFailure,
    spot: i.spot,
    testUserData: i.testUserData,
    testUserDataFile: i.testUserDataFile,
    testScript: i.testScript,
    testHealthUrl: i.testHealthUrl,
    keepHours: i.keepBuilderFor / 3600,
    encrypted: i.encrypted,
    kmsKeyId: i.kmsKeyId,
    kmsKeyIds: i.kmsKeyIds,
    userData: i.userData,
    userDataFile: i.userDataFile,
    provisionScripts: i.provisionScripts,
    packerTemplate: i.packerTemplate,
    packerVars: i.packerVars,
    failureMarker: i.failureMarker,
    tags: i.tags,
    copyToRegions: i.copyToRegions,
    shareWithAccounts: i.shareWithAccounts,
    shareSnapshots: i.shareSnapshots,
    reuseIfUnchanged: i.reuseIfUnchanged,
    reuseMaxAgeDays: i.reuseMaxAge,
    janitor: i.janitor,
    janitorRegions: i.janitorRegions,
    dryRun: i.dryRun,
    timeoutMs: Math.round(i.timeout * 1000),
    amiNameTemplate: i.amiNameTemplate,
    amiDescription: i.amiDescription,
    runNumber: env('GITHUB_RUN_NUMBER'),
    deprecateAfterDays: i.deprecateAfter,
    shareWithOrganizations: i.shareWithOrganizations,
    shareWithOrganizationalUnits: i.shareWithOrganizationalUnits,
    pollIntervalMs: Math.round(i.pollInterval * 1000),
    timeScale: timeScaleOf(env(TIME_SCALE)),
    bakeIdPrefix: `${runId ?? 'local'}-${env('GITHUB_RUN_ATTEMPT') ?? '1'}`,
    commit: env('GITHUB_SHA'),
    runUrl: repo && runId ? `${server}/${repo}/actions/runs/${runId}` : undefined,
    workspace: env('GITHUB_WORKSPACE'),
    record: (name, value) => step.saveState(name, value),
    processRunner: childProcessRunner(env('PATH')),
  };
}

/**
 * The options bake() runs with. One id per bake step: run, attempt and `random`, 8 hex digits
 * run() draws, so two bakes in one job stay apart; `cwd` stands in for a missing workspace.
 */
export function bakeRunOptions(o: BakeOptions, drawn: { random: string; cwd: string }): BakeRunOptions {
  const { bakeIdPrefix, workspace, ...rest } = o;
  return { ...rest, bakeId: `${bakeIdPrefix}-${drawn.random}`, workingDirectory: workspace ?? drawn.cwd };
}
