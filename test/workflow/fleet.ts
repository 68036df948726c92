// A staging and a production fleet on localcloud, as the demo and the pipeline tests start from:
// Auto Scaling groups tagged Environment=<env> (and golden-ami:parameter=/golden-ami/web, their
// consent to be rolled) behind target groups, and Octopus environments whose
// targets are the groups' instances plus an orphan (an instance that no longer exists) and a target
// that maps to no instance (kept).
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { asgRegionOf } from '../localcloud/aws/autoscaling-platform.js';
import { seedGroup } from '../localcloud/aws/autoscaling-seed.js';
import type { Localcloud } from '../localcloud/index.js';

export const REGION = 'us-east-1';

export interface FleetGroup {
  environment: string;
  groupName: string;
  desired: number;
}

export interface Fleet {
  groups: FleetGroup[];
  /** Octopus target names that name instances which do not exist: what reaping removes. */
  orphans: Record<string, string[]>;
  /** The AMI every group started on. */
  baseAmiId: string;
  /** Stops registering new instances with Octopus. */
  stop(): void;
}

const GROUPS: FleetGroup[] = [
  { environment: 'staging', groupName: 'web-staging', desired: 2 },
  { environment: 'production', groupName: 'web-production', desired: 3 },
  { environment: 'production', groupName: 'api-production', desired: 2 },
];

const client = (lc: Localcloud, region: string) =>
  new AutoScalingClient({
    region,
    endpoint: lc.url,
    credentials: {
      accessKeyId: 'AKIALOCALCLOUD000000',
      secretAccessKey: 'localcloud-secret-key-do-not-use-000000',
    },
  });

/** Instance ids of a group once every desired instance is InService and healthy. */
async function inService(lc: Localcloud, group: FleetGroup, region = REGION): Promise<string[]> {
  const asg = client(lc, region);
  try {
    for (let attempt = 0; attempt < 600; attempt++) {
      const out = await asg.send(
        new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [group.groupName] }),
      );
      const ready = (out.AutoScalingGroups?.[0]?.Instances ?? []).filter(
        (i) => i.LifecycleState === 'InService' && i.HealthStatus === 'Healthy',
      );
      if (ready.length >= group.desired) return ready.map((i) => i.InstanceId!);
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${group.groupName} did not reach ${group.desired} InService instances`);
  } finally {
    asg.destroy();
  }
}

/**
 * The groups in `region`, tagged and consenting as the fleet's are, once every instance is InService;
 * returns the AMI the first group started on.
 */
export async function seedGroups(lc: Localcloud, region: string, groups: FleetGroup[]): Promise<string> {
  let baseAmiId = '';
  for (const g of groups) {
    const seeded = seedGroup(lc.world, region, {
      name: g.groupName,
      desired: g.desired,
      min: 1,
      max: g.desired * 2,
      tags: { Environment: g.environment, Service: g.groupName.split('-')[0]! },
      consent: '/golden-ami/web',
    });
    const template = lc.world.region(region).ec2.launchTemplates.get(seeded.launchTemplateId);
    baseAmiId ||= String(template?.versions.get(1)?.data.ImageId ?? '');
  }
  for (const g of groups) await inService(lc, g, region);
  return baseAmiId;
}

export async function seedFleet(lc: Localcloud): Promise<Fleet> {
  const orphans: Record<string, string[]> = {};
  const baseAmiId = await seedGroups(lc, REGION, GROUPS);
  const stop = registerTentacles(lc);
  for (const [i, environment] of ['staging', 'production'].entries()) {
    // An instance scaled in long ago (never seen by this account now), and a target named for no instance.
    const gone = `i-0${'dead'.repeat(3)}000${i}`; // 17 hex digits, as EC2 ids have
    orphans[environment] = [gone];
    lc.octopus.addMachines([
      { name: gone, environments: [environment], roles: ['web'] },
      { name: `legacy-${environment}-box`, environments: [environment], roles: ['web'] },
    ]);
  }
  return { groups: GROUPS, orphans, baseAmiId, stop };
}

/**
 * What the Tentacle baked into the image does at boot: every instance that comes InService in a
 * group registers itself with Octopus in the group's Environment, named by its instance id. Without
 * it every rollout would leave Octopus only targets of replaced instances.
 */
function registerTentacles(lc: Localcloud): () => void {
  const registered = new Set<string>();
  const sync = () => {
    for (const group of asgRegionOf(lc.world.region(REGION)).groups.values()) {
      const environment = group.tags.find((t) => t.Key === 'Environment')?.Value;
      if (!environment) continue;
      const fresh = [...group.instances.values()].filter(
        (i) => i.lifecycle === 'InService' && !registered.has(i.instanceId),
      );
      for (const i of fresh) registered.add(i.instanceId);
      if (fresh.length)
        lc.octopus.addMachines(
          fresh.map((i) => ({ name: i.instanceId, environments: [environment], roles: ['web'] })),
        );
    }
  };
  sync();
  const timer = setInterval(sync, 100);
  timer.unref();
  return () => clearInterval(timer);
}
