// Per-region Auto Scaling + ELBv2 state. One object per (world, region), so a world reset drops it.
import type { TokenBucket } from './autoscaling-throttle.js';
import type {
  AsgPlatform,
  AsgTimings,
  AutoScalingGroup,
  InstanceRefresh,
  LaunchConfiguration,
  ScalingActivity,
} from './autoscaling-types.js';
import type { TargetGroup } from './elbv2-state.js';

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/**
 * Where the AWS documentation is silent, which reading localcloud follows (control API
 * `POST /autoscaling/readings`); tests hold the actions to each.
 */
export interface AsgReadings {
  /** DescribeInstanceRefreshes documents no order. */
  refreshOrder: 'newest-first' | 'oldest-first';
  /**
   * AutoRollback on a $Latest/$Default (or SSM-image) group: refused by StartInstanceRefresh, or
   * accepted and found impossible only when the refresh fails.
   */
  impossibleAutoRollback: 'refuse-at-start' | 'fail-later';
  /** Whether target groups attached with AttachTrafficSources also appear in TargetGroupARNs. */
  trafficSourcesInTargetGroupArns: boolean;
}

export const DEFAULT_READINGS: AsgReadings = {
  refreshOrder: 'newest-first',
  impossibleAutoRollback: 'refuse-at-start',
  trafficSourcesInTargetGroupArns: false,
};

export class AsgRegion {
  readonly groups = new Map<string, AutoScalingGroup>();
  /** Per group name, oldest first (DescribeInstanceRefreshes lists them in `readings.refreshOrder`). */
  readonly refreshes = new Map<string, InstanceRefresh[]>();
  readonly targetGroups = new Map<string, TargetGroup>();
  readonly launchConfigurations = new Map<string, LaunchConfiguration>();
  /** CloudWatch alarm states, set through the control API, that AlarmSpecification watches. */
  readonly alarms = new Map<string, AlarmState>();
  /** Scaling activities of every group, oldest first. */
  readonly activities: ScalingActivity[] = [];
  throttle: TokenBucket | undefined;
  readings: AsgReadings = { ...DEFAULT_READINGS };
  private seq = 0;

  constructor(
    readonly region: string,
    readonly accountId: string,
    readonly platform: AsgPlatform,
    readonly timings: AsgTimings,
  ) {}

  /** Deterministic ids (per region) so test output is stable. */
  nextId(): string {
    this.seq += 1;
    return this.seq.toString(16).padStart(8, '0');
  }

  refreshesOf(groupName: string): InstanceRefresh[] {
    let list = this.refreshes.get(groupName);
    if (!list) {
      list = [];
      this.refreshes.set(groupName, list);
    }
    return list;
  }
}
