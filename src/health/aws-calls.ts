// Every AWS call wait-healthy makes, each drawn from the request budget.
// Kept in one place so the IAM policy, the budget and the unit tests' mocks all see the same short list.
import {
  CancelInstanceRefreshCommand,
  DescribeAutoScalingGroupsCommand,
  type DescribeAutoScalingGroupsCommandInput,
  DescribeInstanceRefreshesCommand,
  RollbackInstanceRefreshCommand,
  StartInstanceRefreshCommand,
  type AutoScalingGroup,
  type InstanceRefresh,
} from '@aws-sdk/client-auto-scaling';
import {
  DescribeInstancesCommand,
  DescribeLaunchTemplateVersionsCommand,
  type Instance,
} from '@aws-sdk/client-ec2';
import {
  DescribeTargetHealthCommand,
  type TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { AwsClients } from '../aws/clients.js';
import type { BudgetedService, RequestBudget } from './budget.js';
import { newestRefresh, REFRESH_PAGE } from '../aws/newest-refresh.js';

/** The part of an SDK command we touch: its own middleware stack. */
interface WithStack {
  middlewareStack: {
    add(middleware: unknown, options: { step: 'finalizeRequest'; priority: 'low'; name: string }): void;
  };
}

const chunks = <T>(items: readonly T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

export interface TemplateRef {
  launchTemplateId?: string;
  launchTemplateName?: string;
  version: string;
}

export class HealthApi {
  constructor(
    private readonly clients: AwsClients,
    private readonly budget: RequestBudget,
    private readonly signal: AbortSignal,
  ) {}

  /**
   * Takes a token for the first attempt, and makes every SDK retry of the same command take its
   * own: the budget counts requests on the wire, not calls in our code. Every attempt then passes
   * the bucket's wire gate right before it is signed and sent.
   */
  private async spend<C extends WithStack>(service: BudgetedService, region: string, command: C): Promise<C> {
    const bucket = this.budget.bucket(service, region);
    let attempts = 0;
    command.middlewareStack.add(
      (next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
        if (attempts++ > 0) await bucket.take(this.signal);
        await bucket.onWire(this.signal);
        return next(args);
      },
      // Below the retry middleware (priority high in the same step), so it runs once per attempt.
      { step: 'finalizeRequest', priority: 'low', name: 'waitHealthyRequestBudget' },
    );
    await bucket.take(this.signal);
    return command;
  }

  private get opts() {
    return { abortSignal: this.signal };
  }

  /**
   * The named refresh, or the group's newest by StartTime when no id is given (AWS documents no
   * order for DescribeInstanceRefreshes); undefined when there is none.
   */
  async refresh(region: string, group: string, refreshId?: string): Promise<InstanceRefresh | undefined> {
    const refreshes: InstanceRefresh[] = [];
    let token: string | undefined;
    do {
      const cmd = await this.spend(
        'autoscaling',
        region,
        new DescribeInstanceRefreshesCommand({
          AutoScalingGroupName: group,
          ...(refreshId ? { InstanceRefreshIds: [refreshId] } : { MaxRecords: REFRESH_PAGE }),
          ...(token ? { NextToken: token } : {}),
        }),
      );
      const out = await this.clients.autoScaling(region).send(cmd, this.opts);
      refreshes.push(...(out.InstanceRefreshes ?? []));
      token = out.NextToken;
    } while (token);
    return refreshId ? refreshes.find((r) => r.InstanceRefreshId === refreshId) : newestRefresh(refreshes);
  }

  /** Groups by name, up to 100 per call as AWS allows. Missing names are simply absent. */
  async groupsByName(region: string, names: readonly string[]): Promise<AutoScalingGroup[]> {
    const out: AutoScalingGroup[] = [];
    for (const batch of chunks(names, 100))
      out.push(...(await this.groupPages(region, { AutoScalingGroupNames: batch })));
    return out;
  }

  /** Groups carrying every given tag (AWS ANDs tag filters with different keys). */
  async groupsByTags(region: string, tags: Record<string, string>): Promise<AutoScalingGroup[]> {
    return this.groupPages(region, {
      Filters: Object.entries(tags).map(([k, v]) => ({ Name: `tag:${k}`, Values: [v] })),
    });
  }

  /** Every page of one DescribeAutoScalingGroups query, each page charged to the budget. */
  private async groupPages(
    region: string,
    query: Pick<DescribeAutoScalingGroupsCommandInput, 'AutoScalingGroupNames' | 'Filters'>,
  ): Promise<AutoScalingGroup[]> {
    const out: AutoScalingGroup[] = [];
    let token: string | undefined;
    do {
      const cmd = await this.spend(
        'autoscaling',
        region,
        new DescribeAutoScalingGroupsCommand({ ...query, MaxRecords: 100, NextToken: token }),
      );
      const page = await this.clients.autoScaling(region).send(cmd, this.opts);
      out.push(...(page.AutoScalingGroups ?? []));
      token = page.NextToken;
    } while (token);
    return out;
  }

  /** Instances by id via the instance-id filter (unknown ids are skipped, not fatal), 200 per call. */
  async instances(region: string, ids: readonly string[]): Promise<Instance[]> {
    const out: Instance[] = [];
    for (const batch of chunks([...new Set(ids)], 200)) {
      let token: string | undefined;
      do {
        const cmd = await this.spend(
          'ec2',
          region,
          new DescribeInstancesCommand({
            Filters: [{ Name: 'instance-id', Values: batch }],
            NextToken: token,
          }),
        );
        const page = await this.clients.ec2(region).send(cmd, this.opts);
        for (const r of page.Reservations ?? []) out.push(...(r.Instances ?? []));
        token = page.NextToken;
      } while (token);
    }
    return out;
  }

  /** The AMI and number of one launch template version (`$Latest`/`$Default` resolved by AWS). */
  async templateVersion(
    region: string,
    ref: TemplateRef,
  ): Promise<{ version: string; imageId?: string } | undefined> {
    const cmd = await this.spend(
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
    const cmd = await this.spend(
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
    await this.clients.autoScaling(region).send(await this.spend('autoscaling', region, command), this.opts);
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
  ): Promise<string | undefined> {
    const cmd = await this.spend(
      'autoscaling',
      region,
      new StartInstanceRefreshCommand({
        AutoScalingGroupName: group,
        Strategy: 'Rolling',
        DesiredConfiguration: { LaunchTemplate: { LaunchTemplateId: to.templateId, Version: to.version } },
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
    const out = await this.clients.autoScaling(region).send(cmd, this.opts);
    return out.InstanceRefreshId;
  }

  async cancel(region: string, group: string): Promise<void> {
    await this.act(region, new CancelInstanceRefreshCommand({ AutoScalingGroupName: group }));
  }
}
