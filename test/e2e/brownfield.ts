// A brownfield estate on localcloud, as users' accounts are (BROWNFIELD.md, issue 25 item 8): groups
// built years ago by Terraform or CloudFormation, through the same AWS calls those tools make.
//
// us-east-1, ours (Environment=production, golden-ami:parameter=/golden-ami/web):
//   web-plain    launch template on a number (version 2; $Latest is 2, $Default 1)
//   web-latest   follows $Latest
//   web-default  follows $Default (the template also holds a newer, not-default version 2)
//   web-mixed    MixedInstancesPolicy: base template at version 1, an override with its own launch
//                template, an instances distribution (On-Demand base 1, 50 % above, Spot strategy)
//   web-ssm      its template's ImageId is resolve:ssm:/golden-ami/web:production
//   web-plain and web-latest share the target group web-shared-tg; web-mixed and web-ssm have their own.
// eu-west-1, ours: web-eu (its own AMI); deploy-ami deploys to one region today, so it is out of
//   the run's reach and must not change (nor may its Octopus targets be reaped).
// Another team's look-alikes in us-east-1: payments-production (Environment=production, following
//   $Latest, golden-ami:parameter=/golden-ami/payments), its template and /golden-ami/payments.
// SSM: /golden-ami/web version 1 = the base AMI, labelled production; version 2 = an older AMI
//   (unlabelled, the newest value); /golden-ami/payments labelled production.
// Octopus: a target per running instance (both regions, both teams) in Production, a hand-named
//   target, and another team's target.
//
// deploy-ami selects groups by tags; a group found by tags alone must carry the consent tag, and
// one that does not makes the run refuse (src/roll/consent.ts). The look-alike carries
// Environment=production but another consent, so the run selects ours with
// `asg-tags: Environment=production, golden-ami:parameter=/golden-ami/web` (SELECT_TAGS below).
// Not here yet: launch-configuration groups and warm pools (localcloud is being taught them).
import {
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  DescribeAutoScalingGroupsCommand,
  type Tag as AsgTag,
} from '@aws-sdk/client-auto-scaling';
import {
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  EC2Client,
  type _InstanceType,
  type Tag as Ec2Tag,
} from '@aws-sdk/client-ec2';
import {
  CreateTargetGroupCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { LabelParameterVersionCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { Localcloud } from '../localcloud/index.js';

export const PRIMARY = 'us-east-1';
export const SECONDARY = 'eu-west-1';
export const ENVIRONMENT = 'production';
export const PARAMETER = '/golden-ami/web';
export const OTHER_PARAMETER = '/golden-ami/payments';
export const CONSENT_TAG = 'golden-ami:parameter';
/** The asg-tags a deploy-ami run over this estate uses: ours, never the look-alike. */
export const SELECT_TAGS = `Environment=${ENVIRONMENT},${CONSENT_TAG}=${PARAMETER}`;
export const OCTOPUS_ENVIRONMENT = 'Production';

export const CREDENTIALS = {
  accessKeyId: 'AKIALOCALCLOUD000000',
  secretAccessKey: 'localcloud-secret-key-do-not-use-000000',
};

export interface EstateGroup {
  region: string;
  name: string;
  /** Ours (selected by SELECT_TAGS) or another team's. */
  owner: 'ours' | 'other';
  /** Whether a deploy-ami run in PRIMARY can reach it today (one region). */
  inReach: boolean;
  /** How the group names its launch source: a number, $Latest, $Default, mixed, resolve:ssm. */
  kind: 'numbered' | 'latest' | 'default' | 'mixed' | 'ssm' | 'other-team';
  desired: number;
  /** Every launch template the group launches from (base and overrides). */
  templates: string[];
}

export interface Estate {
  groups: EstateGroup[];
  /** Launch template ids per region that belong to the estate, by name. */
  templates: Record<string, { region: string; id: string }>;
  /** The AMI every group of ours in PRIMARY runs at the start (version 1 of PARAMETER, labelled). */
  baseAmi: string;
  /** Older than baseAmi; /golden-ami/web's newest (unlabelled) value. */
  olderAmi: string;
  /** Healthy, newer: what a deployment deploys. */
  newAmi: string;
  secondaryAmi: string;
  otherAmi: string;
  /** SSM parameters of the estate (ours and the other team's). */
  parameters: string[];
  regions: string[];
  targetGroups: Record<string, string>;
}

const hour = 3_600_000;

function clients(lc: Localcloud, region: string) {
  const cfg = { region, endpoint: lc.url, credentials: CREDENTIALS, maxAttempts: 8 };
  return {
    ec2: new EC2Client(cfg),
    asg: new AutoScalingClient(cfg),
    elb: new ElasticLoadBalancingV2Client(cfg),
    ssm: new SSMClient(cfg),
    destroy() {
      for (const c of [this.ec2, this.asg, this.elb, this.ssm]) c.destroy();
    },
  };
}

type Clients = ReturnType<typeof clients>;

const ltTags = (tags: Record<string, string>): Ec2Tag[] =>
  Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
const asgTags = (tags: Record<string, string>, propagate = true): AsgTag[] =>
  Object.entries(tags).map(([Key, Value]) => ({
    Key,
    Value,
    // The consent tag is the group's, not its instances'.
    PropagateAtLaunch: propagate && Key !== CONSENT_TAG,
  }));

async function template(
  c: Clients,
  name: string,
  imageId: string,
  tags: Record<string, string>,
  instanceType: _InstanceType = 't3.micro',
): Promise<string> {
  const out = await c.ec2.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: name,
      LaunchTemplateData: { ImageId: imageId, InstanceType: instanceType },
      TagSpecifications: [{ ResourceType: 'launch-template', Tags: ltTags(tags) }],
    }),
  );
  return out.LaunchTemplate!.LaunchTemplateId!;
}

async function targetGroup(c: Clients, name: string): Promise<string> {
  const out = await c.elb.send(new CreateTargetGroupCommand({ Name: name, Port: 80, Protocol: 'HTTP' }));
  return out.TargetGroups![0]!.TargetGroupArn!;
}

async function waitInService(lc: Localcloud, groups: EstateGroup[]): Promise<void> {
  for (const g of groups) {
    const asg = new AutoScalingClient({ region: g.region, endpoint: lc.url, credentials: CREDENTIALS });
    try {
      for (let attempt = 0; ; attempt++) {
        const out = await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [g.name] }));
        const ready = (out.AutoScalingGroups?.[0]?.Instances ?? []).filter(
          (i) => i.LifecycleState === 'InService' && i.HealthStatus === 'Healthy',
        );
        if (ready.length >= g.desired) break;
        if (attempt > 600) throw new Error(`${g.region}/${g.name} never reached ${g.desired} InService`);
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      asg.destroy();
    }
  }
}

/**
 * Builds the estate and waits until every group is InService; then registers an Octopus target per
 * running instance and clears localcloud's call and mutation logs, so a test's logs are its run's.
 */
export async function buildEstate(lc: Localcloud): Promise<Estate> {
  const now = Date.now();
  const seedImages = (region: string, images: { name: string; creationDate: number }[]) =>
    lc.control.seed({ region, images }).images.map((i) => i.imageId);
  const [olderAmi, baseAmi, newAmi, otherAmi] = seedImages(PRIMARY, [
    { name: 'web-2026-10', creationDate: now - 72 * hour },
    { name: 'web-2026-11', creationDate: now - 48 * hour },
    { name: 'web-2026-12', creationDate: now - hour },
    { name: 'payments-2026-11', creationDate: now - 48 * hour },
  ]) as [string, string, string, string];
  const [secondaryAmi] = seedImages(SECONDARY, [{ name: 'web-2026-11', creationDate: now - 48 * hour }]) as [
    string,
  ];

  const ours = { Environment: ENVIRONMENT, [CONSENT_TAG]: PARAMETER, Service: 'web' };
  const theirs = { Environment: ENVIRONMENT, [CONSENT_TAG]: OTHER_PARAMETER, Service: 'payments' };
  const templates: Estate['templates'] = {};
  const targetGroups: Record<string, string> = {};
  const groups: EstateGroup[] = [];
  const east = clients(lc, PRIMARY);
  const west = clients(lc, SECONDARY);
  // SSM checks an aws:ec2:image value asynchronously: a version exists only once that is done.
  const validated = () => new Promise((r) => setTimeout(r, lc.world.durations.ssmValidation + 50));
  try {
    // SSM first: the resolve:ssm group launches what the label says.
    await east.ssm.send(
      new PutParameterCommand({ Name: PARAMETER, Value: baseAmi, Type: 'String', DataType: 'aws:ec2:image' }),
    );
    await validated();
    await east.ssm.send(
      new LabelParameterVersionCommand({ Name: PARAMETER, ParameterVersion: 1, Labels: [ENVIRONMENT] }),
    );
    await east.ssm.send(
      new PutParameterCommand({
        Name: OTHER_PARAMETER,
        Value: otherAmi,
        Type: 'String',
        DataType: 'aws:ec2:image',
      }),
    );
    await validated();
    await east.ssm.send(
      new LabelParameterVersionCommand({ Name: OTHER_PARAMETER, ParameterVersion: 1, Labels: [ENVIRONMENT] }),
    );

    const lt = async (
      c: Clients,
      region: string,
      name: string,
      image: string,
      tags: Record<string, string>,
    ) => {
      const id = await template(c, name, image, tags);
      templates[name] = { region, id };
      return id;
    };
    targetGroups['web-shared-tg'] = await targetGroup(east, 'web-shared-tg');
    targetGroups['web-mixed-tg'] = await targetGroup(east, 'web-mixed-tg');
    targetGroups['web-ssm-tg'] = await targetGroup(east, 'web-ssm-tg');
    targetGroups['web-eu-tg'] = await targetGroup(west, 'web-eu-tg');
    targetGroups['payments-tg'] = await targetGroup(east, 'payments-tg');

    const spec = (
      region: string,
      name: string,
      kind: EstateGroup['kind'],
      desired: number,
      templates: string[],
    ): EstateGroup => ({
      region,
      name,
      kind,
      desired,
      templates,
      owner: kind === 'other-team' ? 'other' : 'ours',
      inReach: kind !== 'other-team' && region === PRIMARY,
    });
    const group = async (g: EstateGroup, source: Record<string, unknown>, tg?: string) => {
      const c = g.region === PRIMARY ? east : west;
      const tags = g.owner === 'ours' ? ours : theirs;
      await c.asg.send(
        new CreateAutoScalingGroupCommand({
          AutoScalingGroupName: g.name,
          ...source,
          MinSize: 1,
          MaxSize: g.desired * 2,
          DesiredCapacity: g.desired,
          ...(tg ? { TargetGroupARNs: [targetGroups[tg]!], HealthCheckType: 'ELB' } : {}),
          HealthCheckGracePeriod: 0,
          Tags: asgTags(tags),
        }),
      );
      groups.push(g);
    };

    // web-plain: Terraform `version = 2`; the template's default stayed 1.
    const plain = await lt(east, PRIMARY, 'web-plain-lt', baseAmi, ours);
    await east.ec2.send(
      new CreateLaunchTemplateVersionCommand({
        LaunchTemplateId: plain,
        SourceVersion: '1',
        LaunchTemplateData: { ImageId: baseAmi, InstanceType: 't3.small' },
      }),
    );
    await group(
      spec(PRIMARY, 'web-plain', 'numbered', 2, ['web-plain-lt']),
      { LaunchTemplate: { LaunchTemplateId: plain, Version: '2' } },
      'web-shared-tg',
    );

    await lt(east, PRIMARY, 'web-latest-lt', baseAmi, ours);
    await group(
      spec(PRIMARY, 'web-latest', 'latest', 2, ['web-latest-lt']),
      { LaunchTemplate: { LaunchTemplateName: 'web-latest-lt', Version: '$Latest' } },
      'web-shared-tg',
    );

    // web-default: $Default is 1; a version 2 waits to be made the default (same AMI, bigger type).
    const def = await lt(east, PRIMARY, 'web-default-lt', baseAmi, ours);
    await east.ec2.send(
      new CreateLaunchTemplateVersionCommand({
        LaunchTemplateId: def,
        SourceVersion: '1',
        LaunchTemplateData: { InstanceType: 't3.small' },
      }),
    );
    await group(spec(PRIMARY, 'web-default', 'default', 1, ['web-default-lt']), {
      LaunchTemplate: { LaunchTemplateId: def, Version: '$Default' },
    });

    const mixed = await lt(east, PRIMARY, 'web-mixed-lt', baseAmi, ours);
    const override = await lt(east, PRIMARY, 'web-mixed-override-lt', baseAmi, ours);
    await group(
      spec(PRIMARY, 'web-mixed', 'mixed', 2, ['web-mixed-lt', 'web-mixed-override-lt']),
      {
        MixedInstancesPolicy: {
          LaunchTemplate: {
            LaunchTemplateSpecification: { LaunchTemplateId: mixed, Version: '1' },
            Overrides: [
              { InstanceType: 't3.micro', WeightedCapacity: '1' },
              {
                InstanceType: 't3a.micro',
                WeightedCapacity: '1',
                LaunchTemplateSpecification: { LaunchTemplateId: override, Version: '1' },
              },
            ],
          },
          InstancesDistribution: {
            OnDemandAllocationStrategy: 'prioritized',
            OnDemandBaseCapacity: 1,
            OnDemandPercentageAboveBaseCapacity: 50,
            SpotAllocationStrategy: 'price-capacity-optimized',
          },
        },
      },
      'web-mixed-tg',
    );

    await lt(east, PRIMARY, 'web-ssm-lt', `resolve:ssm:${PARAMETER}:${ENVIRONMENT}`, ours);
    await group(
      spec(PRIMARY, 'web-ssm', 'ssm', 2, ['web-ssm-lt']),
      { LaunchTemplate: { LaunchTemplateName: 'web-ssm-lt', Version: '1' } },
      'web-ssm-tg',
    );

    // The same service in a second region, on its own AMI.
    const eu = await lt(west, SECONDARY, 'web-eu-lt', secondaryAmi, ours);
    await group(
      spec(SECONDARY, 'web-eu', 'numbered', 2, ['web-eu-lt']),
      { LaunchTemplate: { LaunchTemplateId: eu, Version: '1' } },
      'web-eu-tg',
    );

    // Another team's look-alike: same Environment, another consent, following $Latest.
    await lt(east, PRIMARY, 'payments-lt', otherAmi, theirs);
    await group(
      spec(PRIMARY, 'payments-production', 'other-team', 1, ['payments-lt']),
      { LaunchTemplate: { LaunchTemplateName: 'payments-lt', Version: '$Latest' } },
      'payments-tg',
    );

    // /golden-ami/web's newest value is an older AMI nobody labelled (a hand-run rollback, say).
    await east.ssm.send(
      new PutParameterCommand({ Name: PARAMETER, Value: olderAmi, Type: 'String', Overwrite: true }),
    );
  } finally {
    east.destroy();
    west.destroy();
  }

  await waitInService(lc, groups);
  registerTargets(lc, groups);
  await validated();
  lc.logs.clear();
  return {
    groups,
    templates,
    baseAmi,
    olderAmi,
    newAmi,
    secondaryAmi,
    otherAmi,
    parameters: [PARAMETER, OTHER_PARAMETER],
    regions: [PRIMARY, SECONDARY],
    targetGroups,
  };
}

/** An Octopus target per running instance of the estate (as their Tentacles registered), and two by hand. */
function registerTargets(lc: Localcloud, groups: EstateGroup[]): void {
  const machines: { name: string; environments: string[]; roles: string[] }[] = [];
  for (const g of groups) {
    const instances = [...lc.world.region(g.region).ec2.instances.values()].filter(
      (i) =>
        i.state === 'running' &&
        i.tags.some((t) => t.Key === 'aws:autoscaling:groupName' && t.Value === g.name),
    );
    for (const i of instances)
      machines.push({
        name: i.instanceId,
        environments: [OCTOPUS_ENVIRONMENT],
        roles: [g.owner === 'ours' ? 'web' : 'payments'],
      });
  }
  machines.push({ name: 'legacy-production-box', environments: [OCTOPUS_ENVIRONMENT], roles: ['web'] });
  machines.push({ name: 'payments-bastion', environments: [OCTOPUS_ENVIRONMENT], roles: ['payments'] });
  lc.octopus.addMachines(machines);
}

/** The groups a deploy-ami run over the estate must move (ours, in reach). */
export const movedGroups = (e: Estate): EstateGroup[] =>
  e.groups.filter((g) => g.owner === 'ours' && g.inReach);
