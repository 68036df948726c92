// The typed contract of a promotion: what callers (the entry, deploy-ami) pass and get back.

/** One region to write: the AMI the parameter must hold there. */
export interface PromoteTarget {
  region: string;
  amiId: string;
  /**
   * Compare-and-swap: the AMI the parameter must hold now (null: it must not exist).
   * Undefined means no expectation.
   */
  expected?: string | null;
  /**
   * Compare-and-swap against an earlier read (deploy-ami's plan): the parameter must still hold
   * this value and its label still be on this version, else the write is refused.
   */
  planned?: PlannedParameter;
}

/** What a read-only plan saw of the parameter: its value (null: none) and the label's version (null: on none). */
export interface PlannedParameter {
  value: string | null;
  labelVersion: number | null;
}

export interface PromoteOptions {
  parameterName: string;
  targets: readonly PromoteTarget[];
  label?: string;
  /** Allow an AMI created before the current one: an explicit rollback. */
  allowOlder: boolean;
  description?: string;
  tags: Readonly<Record<string, string>>;
  dryRun: boolean;
  /** How long SSM may take to validate a new aws:ec2:image version. */
  validationTimeoutMs: number;
  /** First delay between read-backs; grows up to 10 times this. */
  pollIntervalMs: number;
  /** The AMIs came as a map by region (amis): the outputs are JSON maps by region too. */
  byRegion?: boolean;
  /** Who may have baked what is recorded; without it, only this account's bakes. */
  provenance?: ProvenanceRule;
}

/** An AMI is this pipeline's when an allowed owner owns it and it carries bake-ami's bake id. */
export interface ProvenanceRule {
  /** `self` or account ids. */
  allowedOwners: readonly string[];
  /** Record a foreign AMI anyway (with a note). */
  allowForeign: boolean;
}

/** What happened (or, in a dry run, would happen) in one region. */
export type RegionOutcome =
  | 'created' // the parameter did not exist
  | 'updated' // a new version holds the AMI
  | 'rolled-back' // a new version holds an AMI older than the previous one (allow-older)
  | 'unchanged'; // the AMI was already current: no new version

export interface RegionPromotion {
  region: string;
  amiId: string;
  outcome: RegionOutcome;
  /** The AMI current before (undefined when the parameter did not exist). */
  previousAmiId?: string;
  previousVersion?: number;
  /** The version holding the AMI after the promotion (undefined in a dry run that would write). */
  version?: number;
  /** The label and the version it was on before (undefined: it was on no version). */
  label?: { name: string; previousVersion?: number; previousAmiId?: string; moved: boolean };
  /** A new version was written or the label moved. */
  changed: boolean;
  /** Degraded paths worth a reader's attention (also logged as warnings). */
  notes: string[];
}

export interface PromoteResult {
  parameterName: string;
  dryRun: boolean;
  regions: RegionPromotion[];
  /** True when any region changed. */
  changed: boolean;
  /** As the options' byRegion. */
  byRegion?: boolean;
}
