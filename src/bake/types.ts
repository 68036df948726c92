// The types a bake shares across its modules: its options, its result and what names a new image.
import type { Image } from '@aws-sdk/client-ec2';
import type { Deadline } from '../core/poll.js';
import type { CleanupReport } from './cleanup.js';
import type { BakeInputs } from './inputs.js';
import type { ProcessRunner } from './packer-process.js';
import type { Phases, PhaseTiming } from './phases.js';
import type { Provisioning } from './provisioning.js';
import type { Schedule } from './schedule.js';
import type { Platform, SourceImage } from './source.js';
import type { StateRecorder } from './state.js';

export type Engine = 'native' | 'packer';

export interface BakeOptions extends BakeInputs {
  /** Unique per bake step (run, attempt, step): tags everything this bake makes. At most 64 characters. */
  bakeId: string;
  commit?: string;
  runUrl?: string;
  /** Relative file inputs resolve here (the workspace). */
  workingDirectory: string;
  record: StateRecorder;
  processRunner: ProcessRunner;
  /** Told, before the error is rethrown, how far a failed bake got and what it cleaned up. */
  onFailure?: (partial: BakeResult, cleanup: CleanupReport) => void;
}

export interface BakeResult {
  region: string;
  amiId?: string;
  amiName: string;
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
  sharedWith: string[];
  engine: Engine;
  totalMs: number;
}

/** How the builder is launched (the native engine's inputs; a dry run's plan names them). */
export type BuilderSettings = Pick<
  BakeOptions,
  | 'instanceType'
  | 'subnetId'
  | 'securityGroupIds'
  | 'iamInstanceProfile'
  | 'volumeSize'
  | 'encrypted'
  | 'kmsKeyId'
>;

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
}
