// Every AWS call wait-healthy makes, each drawn from the request budget.
// Kept in one place so the IAM policy and the budget see the same short list; lookups go through src/aws.
import {
  CancelInstanceRefreshCommand,
  RollbackInstanceRefreshCommand,
  StartInstanceRefreshCommand,
  type AutoScalingGroup,
  type InstanceRefresh,
} from '@aws-sdk/client-auto-scaling';
import { DescribeLaunchTemplateVersionsCommand, type Instance } from '@aws-sdk/client-ec2';
import {
  DescribeTargetHealthCommand,
  type TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { AwsClients } from '../aws/clients.js';
import type { BudgetedService, RequestBudget } from './budget.js';
import { describeGroups } from '../aws/groups.js';
import { mapLaunchSource } from '../aws/group-templates.js';
import { instancesById } from '../aws/instances.js';
import type { Paging, SdkCommand } from '../aws/paging.js';
import { latestRefresh } from '../aws/refreshes.js';
import { warmPoolInstances } from '../aws/warm-pool.js';

export interface TemplateRef {
  launchTemplateId?: string;
  launchTemplateName?: string;
  version: string;
}

export class HealthApi {
  /**
   * `reads`: the signal each read is sent with (a region's round bounds its reads by the deadline,
   * so a call that hangs cannot hold the wait past its timeout); the calls that change AWS
   * (rollback, cancel, a refresh back) are bounded by the job's cancellation alone.
   */
  constructor(
    private readonly clients: AwsClients,
    private readonly budget: RequestBudget,
    private readonly signal: AbortSignal,
    private readonly reads: () => AbortSignal = () => signal,
  ) {}

  /** The same API (and request budget) with reads sent with `reads()`'s signal. */
  withReads(reads: () => AbortSignal): HealthApi {
    return new HealthApi(this.clients, this.budget, this.signal, reads);
  }

  /**
   * Charges every attempt of the command, SDK retries included, to the budget: the budget counts
   * requests on the wire, not calls in our code. Each attempt takes a token, then passes the
   * bucket's wire gate right before it is signed and sent.
   */
  private budgeted<C extends SdkCommand>(service: BudgetedService, region: string, command: C): C {
    const bucket = this.budget.bucket(service, region);
    command.middlewareStack.add(
      (next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
        await bucket.take(this.signal);
        await bucket.onWire(this.signal);
        return next(args);
      },
      // Below the retry middleware (priority high in the same step), so it runs once per attempt.
      { step: 'finalizeRequest', priority: 'low', name: 'waitHealthyRequestBudget' },
    );
    return command;
  }

  /** The shared lookups' paging with every page charged to this service's budget. */
  private paging(service: BudgetedService, region: string): Paging {
    return { signal: this.reads(), eachCommand: (c) => this.budgeted(service, region, c) };
  }

  /** For a read. */
  private get opts() {
    return { abortSignal: this.reads() };
  }

  /** The named refresh, or the group's newest by StartTime; undefined when there is none. */
  async refresh(region: string, group: string, refreshId?: string): Promise<InstanceRefresh | undefined> {
    return latestRefresh(this.clients.autoScaling(region), group, {
      ...this.paging('autoscaling', region),
      id: refreshId,
    });
  }

  /** Groups by name, up to 100 per call as AWS allows. Missing names are simply absent. */
  async groupsByName(region: string, names: readonly string[]): Promise<AutoScalingGroup[]> {
    if (!names.length) return [];
    return describeGroups(this.clients.autoScaling(region), { names }, this.paging('autoscaling', region));
  }

  /** Groups carrying every given tag (AWS ANDs tag filters with different keys). */
  async groupsByTags(region: string, tags: Record<string, string>): Promise<AutoScalingGroup[]> {
    return describeGroups(this.clients.autoScaling(region), { tags }, this.paging('autoscaling', region));
  }

  /** The group's warm-pool instances (DescribeWarmPool), every page charged to the budget. */
  async warmPool(region: string, group: string): Promise<NonNullable<AutoScalingGroup['Instances']>> {
    return warmPoolInstances(this.clients.autoScaling(region), group, this.paging('autoscaling', region));
  }

  /** Instances by id via the instance-id filter (unknown ids are skipped, not fatal), 200 per call. */
  async instances(region: string, ids: readonly string[]): Promise<Instance[]> {
    return instancesById(this.clients.ec2(region), ids, this.paging('ec2', region));
  }

  /** The AMI and number of one launch template version (`$Latest`/`$Default` resolved by AWS). */
  async templateVersion(
    region: string,
    ref: TemplateRef,
  ): Promise<{ version: string; imageId?: string } | undefined> {
    const cmd = this.budgeted(
      'ec2',
      region,
      new DescribeLaunchTemplateVersionsCommand({
        ...(ref.launchTemplateId
          ? { LaunchTemplateId: ref.launchTemplateId }
          : { LaunchTemplateName: ref.launchTemplateName }),
        Versions: [ref.version],
        // An ImageId of resolve:ssm:... comes back as the AMI it resolves to.
        ResolveAlias: true,
      }),
    );
    const out = await this.clients.ec2(region).send(cmd, this.opts);
    const v = out.LaunchTemplateVersions?.[0];
    if (!v) return undefined;
    return { version: String(v.VersionNumber ?? ref.version), imageId: v.LaunchTemplateData?.ImageId };
  }

  async targetHealth(region: string, targetGroupArn: string): Promise<TargetHealthDescription[]> {
    const cmd = this.budgeted(
      'elbv2',
      region,
      new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }),
    );
    const out = await this.clients.elbv2(region).send(cmd, this.opts);
    return out.TargetHealthDescriptions ?? [];
  }

  async rollback(region: string, group: string): Promise<void> {
    await this.act(region, new RollbackInstanceRefreshCommand({ AutoScalingGroupName: group }));
  }

  /** An Auto Scaling change whose answer nothing reads: one budgeted request. */
  private async act(
    region: string,
    command: RollbackInstanceRefreshCommand | CancelInstanceRefreshCommand,
  ): Promise<void> {
    await this.clients
      .autoScaling(region)
      .send(this.budgeted('autoscaling', region, command), { abortSignal: this.signal });
  }

  /**
   * A refresh back to a numbered launch template version, for a refresh that already ended
   * Successful. AWS: "You can't roll it back after it's finished. You can, however, update your
   * Auto Scaling group again by starting a new instance refresh." (instance-refresh-rollback).
   */
  async startRevert(
    region: string,
    group: string,
    to: { templateId: string; version: string },
    like: InstanceRefresh['Preferences'],
    from?: InstanceRefresh['DesiredConfiguration'],
  ): Promise<string | undefined> {
    const cmd = this.budgeted(
      'autoscaling',
      region,
      new StartInstanceRefreshCommand({
        AutoScalingGroupName: group,
        Strategy: 'Rolling',
        DesiredConfiguration: revertConfiguration(to, from),
        // The failed refresh's pace, without its checkpoints or bake time: get back promptly.
        Preferences: {
          ...(like?.MinHealthyPercentage !== undefined
            ? { MinHealthyPercentage: like.MinHealthyPercentage }
            : {}),
          ...(like?.MaxHealthyPercentage !== undefined
            ? { MaxHealthyPercentage: like.MaxHealthyPercentage }
            : {}),
          ...(like?.InstanceWarmup !== undefined ? { InstanceWarmup: like.InstanceWarmup } : {}),
          SkipMatching: true,
        },
      }),
    );
    const out = await this.clients.autoScaling(region).send(cmd, { abortSignal: this.signal });
    return out.InstanceRefreshId;
  }

  async cancel(region: string, group: string): Promise<void> {
    await this.act(region, new CancelInstanceRefreshCommand({ AutoScalingGroupName: group }));
  }
}

/**
 * Where a refresh back goes: the template at its previous version. A mixed-instances refresh keeps
 * its policy (AWS: "If you specify LaunchTemplate in your update request, you can't specify …
 * MixedInstancesPolicy", and a successful refresh makes the desired configuration the group's),
 * with every spec of that template, overrides included, at the previous version.
 */
export function revertConfiguration(
  to: { templateId: string; version: string },
  from: InstanceRefresh['DesiredConfiguration'],
): NonNullable<InstanceRefresh['DesiredConfiguration']> {
  const spec = { LaunchTemplateId: to.templateId, Version: to.version };
  const mixed = from?.MixedInstancesPolicy;
  if (!mixed?.LaunchTemplate) return { LaunchTemplate: spec };
  const back = mapLaunchSource({ MixedInstancesPolicy: mixed }, (s) =>
    s.LaunchTemplateId === to.templateId ? spec : s,
  );
  // A policy without a template of its own (AWS requires one) gets the previous version's.
  back.MixedInstancesPolicy!.LaunchTemplate!.LaunchTemplateSpecification ??= spec;
  return back;
}
