// The types a bake shares across its modules: its options, its result and what names a new image.
import type { Image } from '@aws-sdk/client-ec2';
import type { Deadline } from '../core/poll.js';
import type { LaunchOptions } from './native/builder.js';
import type { CleanupReport } from './leftovers/cleanup.js';
import type { ProcessRunner } from './packer/process.js';
import type { Phases, PhaseTiming } from './phases.js';
import type { Provisioning } from './lookup/provisioning.js';
import type { Schedule } from './schedule.js';
import type { Platform, SourceImage } from './lookup/source.js';
import type { StateRecorder } from './state.js';
import type { TestStage } from './test-stage/load.js';

export type Engine = 'native' | 'packer';

/** How the builder is launched (the native engine's inputs; a dry run's plan names them). */
export type BuilderSettings = Pick<
  LaunchOptions,
  | 'instanceType'
  | 'subnetId'
  | 'securityGroupIds'
  | 'iamInstanceProfile'
  | 'volumeSize'
  | 'volumeType'
  | 'volumeIops'
  | 'volumeThroughput'
  | 'encrypted'
  | 'kmsKeyId'
  | 'spot'
>;

/**
 * What a bake step runs with (options.ts: bakeOptions, the capability's toOptions, pure): the
 * inputs typed, durations in ms, and what the runner says about the run. The two parts that are
 * not the inputs' to decide, the bake id's random part and the current directory, run() adds
 * (BakeRunOptions).
 */
/** What the image is called, how long it lives and who may launch it (image-inputs.ts). */
export interface ImageSettings {
  /** ami-name-template; undefined: "{name}-{date}{time}". */
  amiNameTemplate?: string;
  amiDescription?: string;
  /** GITHUB_RUN_NUMBER, for {run}. */
  runNumber?: string;
  deprecateAfterDays?: number;
  shareWithOrganizations: string[];
  shareWithOrganizationalUnits: string[];
  windowsFastLaunch: boolean;
  fastLaunchMaxParallel: number;
  /** imds-support: 'v2.0' on the AMI and every copy. */
  imdsSupport?: 'v2.0';
  /** on-failure: keep stops and keeps a failed bake's builder for keepHours. */
  failureMode: 'cleanup' | 'keep';
  keepHours: number;
  /** The test stage (test-stage.ts): at most one of these. */
  testUserData?: string;
  testUserDataFile?: string;
  testScript?: string;
  testHealthUrl?: string;
}

export interface BakeOptions extends BuilderSettings, ImageSettings {
  name: string;
  region: string;
  sourceAmi?: string;
  sourceAmiFilter?: string;
  sourceAmiOwners: string[];
  /** Given by the user; undefined: from the source image. */
  platform?: Platform;
  engine: Engine;
  /** Copy region → KMS key. */
  kmsKeyIds: Record<string, string>;
  userData?: string;
  userDataFile?: string;
  provisionScripts: string[];
  packerTemplate?: string;
  packerVars: Record<string, string>;
  failureMarker: string;
  tags: Record<string, string>;
  copyToRegions: string[];
  shareWithAccounts: string[];
  shareSnapshots: boolean;
  reuseIfUnchanged: boolean;
  /** An unchanged AMI older than this is rebaked (reuse-max-age). */
  reuseMaxAgeDays?: number;
  janitor: boolean;
  /** Regions the janitor also looks in (janitor-regions), beyond those bakes recorded. */
  janitorRegions: string[];
  dryRun: boolean;
  /** Bounds the whole bake (timeout). */
  timeoutMs: number;
  /** The longest delay between polls (poll-interval). */
  pollIntervalMs: number;
  /**
   * How fast time runs compared with AWS (1 on AWS): the phase priors are scaled by it. Only a
   * simulator sets it (GOLDEN_AMI_TIME_SCALE): no input changes the schedule.
   */
  timeScale: number;
  /** The bake id without its random part: "<run id|local>-<attempt|1>". */
  bakeIdPrefix: string;
  commit?: string;
  runUrl?: string;
  /** GITHUB_WORKSPACE, where relative file inputs resolve; without it, run() takes the current directory. */
  workspace?: string;
  record: StateRecorder;
  processRunner: ProcessRunner;
}

/** What bake() runs with: the options, with this bake's id and directory (bakeRunOptions in options.ts). */
export interface BakeRunOptions extends Omit<BakeOptions, 'bakeIdPrefix' | 'workspace'> {
  /** Unique per bake step (run, attempt, a random part): tags everything this bake makes. At most 64 characters. */
  bakeId: string;
  /** Relative file inputs resolve here (the workspace). */
  workingDirectory: string;
  /** Told, before the error is rethrown, how far a failed bake got and what it cleaned up. */
  onFailure?: (partial: BakeResult, cleanup: CleanupReport) => void;
}

export interface BakeResult {
  region: string;
  amiId?: string;
  amiName: string;
  /** Set when ami-description gave it; otherwise the default the image is described with. */
  amiDescription?: string;
  /** Regions where fast launch is on (windows-fast-launch). */
  fastLaunch?: string[];
  /** The test stage's outcome, when there is one. */
  testResult?: string;
  /** When the images are deprecated (deprecate-after), ISO 8601. */
  deprecationTime?: string;
  amis: Record<string, string>;
  sourceAmiId: string;
  sourceVia: string;
  platform: Platform;
  fingerprint: string;
  reused: boolean;
  builderInstanceId?: string;
  dryRun: boolean;
  /** Dry run: what would happen, one line each. */
  plan: string[];
  timings: PhaseTiming[];
  janitor: ExpiredBuilder[];
  /** Images (with their snapshots) of bakes that never completed, past their expiry. */
  janitorImages: UnfinishedImage[];
  /** Packer's temporary key pairs and groups of killed bakes the janitor deleted (or would). */
  janitorPacker: string[];
  sharedWith: string[];
  engine: Engine;
  totalMs: number;
}

/** What names and tags an image this bake makes (the AMI, and each copy). */
export interface ImageSpec {
  name: string;
  description: string;
  tags: Record<string, string>;
}

/** A builder of an earlier bake still alive after its expiry (the janitor's). */
export interface ExpiredBuilder {
  instanceId: string;
  bakeName: string;
  expiresAt: string;
  /** A Spot builder's request, cancelled before it is terminated. */
  spotInstanceRequestId?: string;
}

/** An image of an earlier bake that never completed, past its expiry (the janitor's). */
export interface UnfinishedImage {
  imageId: string;
  region: string;
  bakeId: string;
  expiresAt: string;
}

/** One bake in progress: its clock, phases and the result it fills in. */
export interface Run {
  started: number;
  deadline: Deadline;
  phases: Phases;
  result: BakeResult;
  /** Builders, and images never marked completed, are the janitor's after this (clock ms). */
  expiresAt: number;
}

/** What the lookups found: the source, what the image will hold, and an identical earlier AMI. */
export interface Found {
  source: SourceImage;
  provisioning: Provisioning;
  packerPath?: string;
  reusable?: Image;
  schedule: Schedule;
  /** reuse-max-age as a clock ms: nothing created before it is reused. */
  notBefore?: number;
  /** The test stage, when the inputs give one. */
  test?: TestStage;
}
