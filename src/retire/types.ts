// The typed contract of a retire run: options in, per-region decisions and outcomes out.

export interface RetireOptions {
  /** Bake names: images whose golden-ami:name tag is one of these. */
  names: string[];
  regions: string[];
  keepCount: number;
  /** Younger AMIs are kept (keep-for). */
  keepMs: number;
  /** How long an AMI stays disabled before it is deregistered (deregister-after). */
  graceMs: number;
  /** Parameters whose labelled and newest versions keep their AMIs (and whose labels may hold a protected AMI). */
  parameters: string[];
  keepParameterVersions: number;
  /** DescribeImageReferences version-depth: how many of each template's newest versions count. */
  launchTemplateVersions: number;
  includeShared: boolean;
  maxRetire: number;
  maxRetirePercent: number;
  dryRun: boolean;
}

/** One owned, provenance-tagged AMI as read before any decision. */
export interface OwnedImage {
  region: string;
  imageId: string;
  /** The AMI's name (unique per region). */
  imageName: string;
  /** The bake name (golden-ami:name). */
  name: string;
  bakeId: string;
  state: string;
  created: number;
  public: boolean;
  tags: Record<string, string>;
  /** DescribeImages DeregistrationProtection, e.g. enabled-with-cooldown, disabled-until …, disabled. */
  protection: string;
  sourceImageId?: string;
  sourceRegion?: string;
  snapshotIds: string[];
}

export type Action =
  | 'keep' // stays as it is
  | 'disable' // DisableImage + deprecate + disabled-at tag (and protection off)
  | 'deregister' // DeregisterImage + DeleteSnapshot of this project's snapshots
  | 'enable' // a disabled AMI referenced again: EnableImage
  | 'wait'; // disabled, waiting for deregister-after or a protection cooldown

export interface Decision {
  image: OwnedImage;
  action: Action;
  /** Why: the references or rule that keep it, or why it goes. */
  reasons: string[];
  /** Turn deregistration protection off (no label holds it and the rules retire it). */
  unprotect?: boolean;
}

export interface SnapshotRecord {
  snapshotId: string;
  bytes: number;
  deleted: boolean;
  /** Why a snapshot of a deregistered AMI was left. */
  leftBecause?: string;
}

export interface Outcome extends Decision {
  done: boolean;
  snapshots: SnapshotRecord[];
}

export interface RegionReport {
  region: string;
  outcomes: Outcome[];
  /** Snapshots of AMIs an earlier run deregistered whose deletion did not happen then. */
  leftovers: SnapshotRecord[];
}

export interface RetireResult {
  dryRun: boolean;
  regions: RegionReport[];
  /** EC2 API calls this run made (reads and writes). */
  ec2Calls: number;
  /** Set when the caps refused the run: nothing was changed. */
  refusal?: string;
}
