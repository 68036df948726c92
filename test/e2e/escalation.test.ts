// The policies of roll-asg, wait-healthy, promote-ami-parameter and reap-octopus-orphans under
// localcloud's IAM enforcement, in an account shared with another team's fleet: each action does its
// work under exactly its iam-policy.json (and deploy-ami under their union), a tag selection that
// matches a group without consent changes nothing, and the escalation table — what a holder of the
// role could try against the other team's resources — is denied, each attempt by a named condition.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import {
  AutoScalingClient,
  CancelInstanceRefreshCommand,
  CreateOrUpdateTagsCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeInstanceRefreshesCommand,
  RollbackInstanceRefreshCommand,
  StartInstanceRefreshCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  CreateLaunchTemplateVersionCommand,
  CreateTagsCommand,
  DeleteLaunchTemplateVersionsCommand,
  EC2Client,
  ModifyLaunchTemplateCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../harness/action-metadata.js';
import { localcloudEnv, runActionStep, type ActionRun } from '../harness/run-action.js';
import { seedGroup, seedTemplateVersion, type SeededGroup } from '../localcloud/aws/autoscaling-seed.js';
import { evaluate, statements, type PolicyDocument } from '../localcloud/iam.js';
import type { AuthCheck } from '../localcloud/iam-authorizer.js';
import { start } from '../localcloud/index.js';
import { DEFAULT_API_KEY } from '../localcloud/octopus/index.js';
import { seedImage } from '../localcloud/seed.js';

jest.setTimeout(120_000);

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const PARAMETER = '/golden-ami/web';
// Instances serve /version here (a port no other e2e file uses, so files can run side by side).
const VERSION_PORT = 18623;
const credentials = {
  accessKeyId: 'AKIALOCALCLOUD000000',
  secretAccessKey: 'localcloud-secret-key-do-not-use-000000',
};
const ACTIONS = ['roll-asg', 'wait-healthy', 'promote-ami-parameter', 'reap-octopus-orphans'] as const;
type Action = (typeof ACTIONS)[number];

const policyOf = (action: Action): PolicyDocument =>
  JSON.parse(readFileSync(join(repoRoot, 'actions', action, 'iam-policy.json'), 'utf8')) as PolicyDocument;
const POLICIES = Object.fromEntries(ACTIONS.map((a) => [a, policyOf(a)])) as Record<Action, PolicyDocument>;
/** deploy-ami's documented policy: the union of the four. */
const UNION: PolicyDocument = {
  Version: '2012-10-17',
  Statement: ACTIONS.flatMap((a) => statements(POLICIES[a])),
};

let lc: Awaited<ReturnType<typeof start>>;
let asg: AutoScalingClient;
let ec2: EC2Client;
let ssm: SSMClient;
let oldAmi: string;
let newAmi: string;
/** Our fleet: consents to be rolled onto /golden-ami/web (group and template tagged). */
let ours: SeededGroup;
/** Another team's fleet in the same account, with the same Environment tag and no consent. */
let theirs: SeededGroup;
let theirInstance: string;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await sleep(100);
  }
}

const groupNow = async (name: string) =>
  (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] })))
    .AutoScalingGroups![0]!;
const inService = async (name: string) =>
  (await groupNow(name)).Instances?.filter((i) => i.LifecycleState === 'InService').length === 1;
const template = (g: SeededGroup) => lc.world.region(REGION).ec2.launchTemplates.get(g.launchTemplateId)!;
const lastMutation = () => lc.logs.mutations.query().at(-1)?.seq ?? 0;
const mutationsSince = (seq: number) =>
  lc.logs.mutations
    .query({ since: seq })
    .filter((m) => m.service === 'autoscaling' || m.service === 'ec2')
    .map((m) => `${m.service} ${m.operation}`);

/** Runs a built action with localcloud enforcing `policy` for the length of the step. */
async function runUnder(
  policy: PolicyDocument,
  action: string,
  inputs: Record<string, string>,
  env: Record<string, string> = {},
): Promise<ActionRun> {
  lc.iam.clear();
  lc.iam.setPolicy(policy);
  try {
    return await runActionStep(action, { inputs, env: { ...localcloudEnv(lc.url, REGION), ...env } });
  } finally {
    lc.iam.setPolicy(null);
  }
}

const denials = () => lc.iam.records.filter((r) => !r.allowed).map((r) => `${r.service}:${r.operation}`);

beforeAll(async () => {
  lc = await start({ port: 0, accountId: ACCOUNT, instanceHttpPort: VERSION_PORT });
  asg = new AutoScalingClient({ region: REGION, endpoint: lc.url, credentials });
  ec2 = new EC2Client({ region: REGION, endpoint: lc.url, credentials });
  ssm = new SSMClient({ region: REGION, endpoint: lc.url, credentials });
  const region = lc.world.region(REGION);
  // Baked by this pipeline (golden-ami:name golden-web), as promote's deregistration protection requires.
  const baked = (id: string) => [
    { Key: 'golden-ami:bake-id', Value: id },
    { Key: 'golden-ami:name', Value: 'golden-web' },
  ];
  oldAmi = seedImage(region, {
    name: 'web-1',
    creationDate: Date.now() - 60_000,
    tags: baked('b1'),
    version: '1.0.0',
  }).imageId;
  newAmi = seedImage(region, { name: 'web-2', tags: baked('b2'), version: '2.0.0' }).imageId;
  ours = seedGroup(lc.world, REGION, {
    name: 'web-production',
    imageId: oldAmi,
    desired: 1,
    targetGroup: false,
    tags: { Environment: 'production', Team: 'web' },
    consent: PARAMETER,
  });
  // Launched with an instance role and instance tags, as real templates are: Auto Scaling then checks
  // that the caller may pass the role and tag what the template launches.
  const data = template(ours).versions.get(1)!.data;
  data.IamInstanceProfile = { Name: 'golden-ami-instance-web' };
  data.TagSpecifications = [{ ResourceType: 'instance', Tags: [{ Key: 'team', Value: 'web' }] }];
  theirs = seedGroup(lc.world, REGION, {
    name: 'payments-production',
    imageId: oldAmi,
    desired: 1,
    targetGroup: false,
    tags: { Environment: 'production', Team: 'payments' },
  });
  await until(
    'both fleets in service',
    async () => (await inService(ours.groupName)) && inService(theirs.groupName),
  );
  // A standalone instance of theirs (their group's own refresh replaces the group's instances).
  theirInstance = (
    await ec2.send(
      new RunInstancesCommand({ ImageId: oldAmi, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 }),
    )
  ).Instances![0]!.InstanceId!;
}, 120_000);

afterAll(async () => {
  for (const c of [asg, ec2, ssm]) c?.destroy();
  await lc?.stop();
});

describe('consent to be rolled', () => {
  it('roll-asg: a tag selection matching a group without consent lists it and changes nothing', async () => {
    const since = lastMutation();
    const r = await runUnder(POLICIES['roll-asg'], 'roll-asg', {
      'asg-tags': 'Environment=production',
      'ami-id': newAmi,
      'consent-parameter': PARAMETER,
    });
    expect(r.exitCode).toBe(1);
    expect(r.errors.join('\n')).toContain(
      `asg-tags matched 1 group(s) that have not consented to be rolled onto ${PARAMETER}: us-east-1/payments-production: no golden-ami:parameter tag. Nothing was changed.`,
    );
    expect(mutationsSince(since)).toEqual([]);
    // Refused by the action itself, before IAM had anything to refuse.
    expect(denials()).toEqual([]);
  });

  it('roll-asg: a group tagged for another image has not consented either', async () => {
    const other = seedGroup(lc.world, REGION, {
      name: 'api-production',
      imageId: oldAmi,
      desired: 0,
      targetGroup: false,
      tags: { Environment: 'staging-api' },
      consent: '/golden-ami/api',
    });
    const since = lastMutation();
    const r = await runUnder(POLICIES['roll-asg'], 'roll-asg', {
      'asg-tags': 'Environment=staging-api',
      'ami-parameter': `${PARAMETER}:production`,
    });
    expect(r.exitCode).toBe(1);
    expect(r.errors.join('\n')).toContain(
      `us-east-1/${other.groupName}: golden-ami:parameter=/golden-ami/api, not ${PARAMETER}`,
    );
    expect(mutationsSince(since)).toEqual([]);
  });

  it('roll-asg: with ami-id and tags alone, the consent value is a required input', async () => {
    const r = await runUnder(POLICIES['roll-asg'], 'roll-asg', {
      'asg-tags': 'Environment=production',
      'ami-id': newAmi,
    });
    expect(r.exitCode).toBe(1);
    expect(r.errors.join('\n')).toContain('consent-parameter: is required when asg-tags selects groups');
    expect(lc.iam.records).toEqual([]);
  });

  it("deploy-ami's default selection (Environment=<environment>) refuses the other team's group and touches no group or template", async () => {
    const since = lastMutation();
    const r = await runUnder(UNION, 'deploy-ami', {
      'ami-id': newAmi,
      'parameter-name': PARAMETER,
      environment: 'production',
    });
    expect(r.exitCode).toBe(1);
    expect(r.errors.join('\n')).toContain('us-east-1/payments-production: no golden-ami:parameter tag');
    expect(mutationsSince(since)).toEqual([]);
    expect(template(theirs).versions.size).toBe(1);
  });
});

describe('each action under exactly its iam-policy.json', () => {
  let refreshes = '';

  it('promote-ami-parameter records the AMI and moves the label', async () => {
    const r = await runUnder(POLICIES['promote-ami-parameter'], 'promote-ami-parameter', {
      'parameter-name': PARAMETER,
      'ami-id': newAmi,
      label: 'production',
      'poll-interval': '100ms',
    });
    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(
      (await ssm.send(new GetParameterCommand({ Name: `${PARAMETER}:production` }))).Parameter?.Value,
    ).toBe(newAmi);
  });

  it('roll-asg rolls the consenting group (tags, instance role, new default version) and nothing else', async () => {
    const since = lastMutation();
    const r = await runUnder(POLICIES['roll-asg'], 'roll-asg', {
      'asg-tags': 'Environment=production\nTeam=web',
      'ami-parameter': `${PARAMETER}:production`,
      'set-default-version': 'true',
      'instance-warmup': '0',
      'poll-interval': '0.2',
    });
    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(denials()).toEqual([]);
    refreshes = r.outputs.refreshes!;
    expect(JSON.parse(refreshes)).toEqual([
      expect.objectContaining({ group: ours.groupName, amiId: newAmi }),
    ]);
    expect(template(ours).defaultVersion).toBe(2);
    expect(template(ours).versions.get(2)?.data.ImageId).toBe(newAmi);
    expect(template(theirs).versions.size).toBe(1);
    expect(mutationsSince(since).every((m) => !m.includes(theirs.groupName))).toBe(true);
  });

  it('wait-healthy sees the consenting group healthy on the new AMI', async () => {
    const r = await runUnder(POLICIES['wait-healthy'], 'wait-healthy', {
      refreshes,
      'poll-interval': '0.2',
      'max-poll-interval': '1',
    });
    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(r.outputs.status).toBe('healthy');
    expect(denials()).toEqual([]);
  });

  it('wait-healthy refreshes the group back to its previous version when a check fails after Successful', async () => {
    const r = await runUnder(POLICIES['wait-healthy'], 'wait-healthy', {
      refreshes,
      'health-url': `http://{private-ip}:${VERSION_PORT}/version`,
      'expected-version': '9.9.9',
      'unhealthy-grace': '1',
      timeout: '2m',
      'poll-interval': '0.2',
      'max-poll-interval': '1',
    });
    // The refresh back is a StartInstanceRefresh to version 1: Auto Scaling checks that the role may
    // launch that template (its instance role, its tags), which the policy grants for consenting
    // templates only.
    expect(denials()).toEqual([]);
    expect(r.outputs.status).toBe('rolled-back');
    expect(r.exitCode).toBe(1);
    const instances = (await groupNow(ours.groupName)).Instances ?? [];
    expect(instances.map((i) => i.LaunchTemplate?.Version)).toEqual(['1']);
  });

  it('reap-octopus-orphans deletes the target of a gone instance', async () => {
    const gone = 'i-0000000000000dead';
    lc.octopus.addMachines([{ name: gone, environments: ['Production'] }]);
    const r = await runUnder(
      POLICIES['reap-octopus-orphans'],
      'reap-octopus-orphans',
      { environments: 'Production', 'max-reap-percent': '100' },
      { OCTOPUS_URL: `${lc.url}/octopus`, OCTOPUS_API_KEY: DEFAULT_API_KEY },
    );
    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(r.outputs['reaped-count']).toBe('1');
  });
});

/**
 * What denied a check: the statement whose Condition alone stands in the way (the check is allowed
 * with that statement's Condition dropped), or "not granted" when no statement would allow it.
 */
function deniedBy(policy: PolicyDocument, check: AuthCheck): string {
  const all = statements(policy);
  for (const [i, s] of all.entries()) {
    if (!s.Condition) continue;
    const relaxed = {
      ...policy,
      Statement: all.map((t, j) => (j === i ? { ...t, Condition: undefined } : t)),
    };
    if (evaluate(relaxed, check).allowed)
      return `${s.Sid}: ${Object.values(s.Condition)
        .flatMap((keys) => Object.keys(keys))
        .join(', ')}`;
  }
  return 'not granted';
}

const CONSENT_GROUP = 'aws:ResourceTag/golden-ami:parameter';
/** What a template launches: with a template, nothing overridden, an image of this account or Amazon. */
const LAUNCHED_FROM_TEMPLATE =
  'AndWhatThoseTemplatesLaunch: ec2:LaunchTemplate, ec2:IsLaunchTemplateResource, ec2:Owner, ec2:NetworkInterfaceID';
/** A group update of a consenting group that points it at a template, never resizes or moves it. */
const REPOINT_ONLY = `RepointOnlyGroupsThatConsentNeverResizeOrMoveThem: ${[
  'aws:ResourceTag/golden-ami:parameter',
  'autoscaling:MinSize',
  'autoscaling:MaxSize',
  'autoscaling:VPCZoneIdentifiers',
].join(', ')}`;

describe('the escalation table: the role against the other team (and other names)', () => {
  let theirRefresh = '';
  let templateVersionsBefore = 0;
  let theirSubnet = '';
  let lookalike: SeededGroup;
  let oursBefore: unknown[] = [];

  beforeAll(async () => {
    const g = await groupNow(ours.groupName);
    oursBefore = [g.MinSize, g.MaxSize, g.VPCZoneIdentifier];
    // The other team is rolling their own fleet: something to cancel or roll back.
    const v = seedTemplateVersion(lc.world, REGION, theirs.launchTemplateId, { imageId: oldAmi });
    theirRefresh = (
      await asg.send(
        new StartInstanceRefreshCommand({
          AutoScalingGroupName: theirs.groupName,
          DesiredConfiguration: {
            LaunchTemplate: { LaunchTemplateId: theirs.launchTemplateId, Version: String(v) },
          },
          Preferences: {
            SkipMatching: false,
            CheckpointPercentages: [100],
            CheckpointDelay: 3600,
            InstanceWarmup: 3600,
          },
        }),
      )
    ).InstanceRefreshId!;
    templateVersionsBefore = template(theirs).versions.size;
    theirSubnet = [...lc.world.region(REGION).ec2.subnets.keys()].at(-1)!;
    lookalike = seedGroup(lc.world, REGION, {
      name: 'payments-lookalike',
      imageId: oldAmi,
      desired: 0,
      targetGroup: false,
      tags: { Environment: 'production', Team: 'payments' },
      consent: '/golden-ami/payments',
    });
  });

  /** A direct launch with our consenting template, overriding what it names. */
  const launchOursOverriding = (override: { SubnetId?: string; ImageId?: string }) =>
    ec2.send(
      new RunInstancesCommand({
        LaunchTemplate: { LaunchTemplateId: ours.launchTemplateId },
        MinCount: 1,
        MaxCount: 1,
        ...override,
      }),
    );

  const ATTEMPTS: Array<[string, Action, string, () => Promise<unknown>]> = [
    [
      'start a refresh of their group',
      'roll-asg',
      `RefreshOnlyGroupsThatConsent: ${CONSENT_GROUP}`,
      () => asg.send(new StartInstanceRefreshCommand({ AutoScalingGroupName: theirs.groupName })),
    ],
    [
      'cancel their refresh (roll-asg role)',
      'roll-asg',
      `RefreshOnlyGroupsThatConsent: ${CONSENT_GROUP}`,
      () => asg.send(new CancelInstanceRefreshCommand({ AutoScalingGroupName: theirs.groupName })),
    ],
    [
      'cancel their refresh (wait-healthy role)',
      'wait-healthy',
      `RollBackOnlyGroupsThatConsent: ${CONSENT_GROUP}`,
      () => asg.send(new CancelInstanceRefreshCommand({ AutoScalingGroupName: theirs.groupName })),
    ],
    [
      'roll their refresh back',
      'wait-healthy',
      `RollBackOnlyGroupsThatConsent: ${CONSENT_GROUP}`,
      () => asg.send(new RollbackInstanceRefreshCommand({ AutoScalingGroupName: theirs.groupName })),
    ],
    [
      'resize or repoint their group',
      'roll-asg',
      REPOINT_ONLY,
      () =>
        asg.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: theirs.groupName, MaxSize: 0 })),
    ],
    [
      // Found by the independent review of issue 26: consent lets the role pin our group, not resize it.
      'resize our consenting group to 0',
      'roll-asg',
      REPOINT_ONLY,
      () =>
        asg.send(
          new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: ours.groupName, MinSize: 0, MaxSize: 0 }),
        ),
    ],
    [
      'move our consenting group into another subnet',
      'roll-asg',
      REPOINT_ONLY,
      () =>
        asg.send(
          new UpdateAutoScalingGroupCommand({
            AutoScalingGroupName: ours.groupName,
            VPCZoneIdentifier: theirSubnet,
          }),
        ),
    ],
    [
      'tag their group to fake its consent',
      'roll-asg',
      'not granted',
      () =>
        asg.send(
          new CreateOrUpdateTagsCommand({
            Tags: [
              {
                ResourceId: theirs.groupName,
                ResourceType: 'auto-scaling-group',
                Key: 'golden-ami:parameter',
                Value: PARAMETER,
                PropagateAtLaunch: false,
              },
            ],
          }),
        ),
    ],
    [
      'add a version to their template',
      'roll-asg',
      `VersionOnlyTemplatesThatConsent: ${CONSENT_GROUP}`,
      () =>
        ec2.send(
          new CreateLaunchTemplateVersionCommand({
            LaunchTemplateId: theirs.launchTemplateId,
            SourceVersion: '1',
            LaunchTemplateData: { ImageId: newAmi },
          }),
        ),
    ],
    [
      'change the default version of their template',
      'roll-asg',
      `VersionOnlyTemplatesThatConsent: ${CONSENT_GROUP}`,
      () =>
        ec2.send(
          new ModifyLaunchTemplateCommand({ LaunchTemplateId: theirs.launchTemplateId, DefaultVersion: '2' }),
        ),
    ],
    [
      'delete a version of their template',
      'roll-asg',
      `VersionOnlyTemplatesThatConsent: ${CONSENT_GROUP}`,
      () =>
        ec2.send(
          new DeleteLaunchTemplateVersionsCommand({
            LaunchTemplateId: theirs.launchTemplateId,
            Versions: ['2'],
          }),
        ),
    ],
    [
      'tag their template to fake its consent',
      'roll-asg',
      'not granted',
      () =>
        ec2.send(
          new CreateTagsCommand({
            Resources: [theirs.launchTemplateId],
            Tags: [{ Key: 'golden-ami:parameter', Value: PARAMETER }],
          }),
        ),
    ],
    [
      'tag their instance',
      'roll-asg',
      'TagOnlyWhatTheTemplatesLaunch: ec2:CreateAction',
      () =>
        ec2.send(
          new CreateTagsCommand({
            Resources: [theirInstance],
            Tags: [{ Key: 'golden-ami:builder', Value: 'x' }],
          }),
        ),
    ],
    [
      'terminate their instance',
      'roll-asg',
      'not granted',
      () => ec2.send(new TerminateInstancesCommand({ InstanceIds: [theirInstance] })),
    ],
    [
      'launch an instance without a launch template',
      'roll-asg',
      LAUNCHED_FROM_TEMPLATE,
      () =>
        ec2.send(
          new RunInstancesCommand({ ImageId: newAmi, MinCount: 1, MaxCount: 1, InstanceType: 't3.micro' }),
        ),
    ],
    [
      'launch an instance from their template',
      'roll-asg',
      `AutoScalingChecksTheCallerMayLaunchConsentingTemplates: ${CONSENT_GROUP}`,
      () =>
        ec2.send(
          new RunInstancesCommand({
            LaunchTemplate: { LaunchTemplateId: theirs.launchTemplateId },
            MinCount: 1,
            MaxCount: 1,
          }),
        ),
    ],
    [
      'refresh our group onto their template',
      'roll-asg',
      `AutoScalingChecksTheCallerMayLaunchConsentingTemplates: ${CONSENT_GROUP}`,
      () =>
        asg.send(
          new StartInstanceRefreshCommand({
            AutoScalingGroupName: ours.groupName,
            DesiredConfiguration: {
              LaunchTemplate: { LaunchTemplateId: theirs.launchTemplateId, Version: '1' },
            },
          }),
        ),
    ],
    [
      // Issue 26, path 3: our template, with the subnet (or image) of another team's.
      'launch with our consenting template, overriding its subnet',
      'roll-asg',
      LAUNCHED_FROM_TEMPLATE,
      () => launchOursOverriding({ SubnetId: theirSubnet }),
    ],
    [
      'launch with our consenting template, overriding its image',
      'roll-asg',
      LAUNCHED_FROM_TEMPLATE,
      () => launchOursOverriding({ ImageId: oldAmi }),
    ],
    [
      // Issue 26, path 4: a look-alike consent to another parameter under /golden-ami/.
      'refresh a group consenting to /golden-ami/payments',
      'roll-asg',
      `RefreshOnlyGroupsThatConsent: ${CONSENT_GROUP}`,
      () => asg.send(new StartInstanceRefreshCommand({ AutoScalingGroupName: lookalike.groupName })),
    ],
    [
      'resize a group consenting to /golden-ami/payments to 0',
      'roll-asg',
      REPOINT_ONLY,
      () =>
        asg.send(
          new UpdateAutoScalingGroupCommand({
            AutoScalingGroupName: lookalike.groupName,
            MinSize: 0,
            MaxSize: 0,
          }),
        ),
    ],
    [
      'write /golden-ami/payments',
      'promote-ami-parameter',
      'not granted',
      () =>
        ssm.send(
          new PutParameterCommand({
            Name: '/golden-ami/payments',
            Value: newAmi,
            Type: 'String',
            Overwrite: true,
          }),
        ),
    ],
    [
      'overwrite a parameter outside /golden-ami/',
      'promote-ami-parameter',
      'not granted',
      () =>
        ssm.send(
          new PutParameterCommand({ Name: '/payments/ami', Value: newAmi, Type: 'String', Overwrite: true }),
        ),
    ],
  ];

  it.each(ATTEMPTS)('%s (%s policy): denied by %s', async (_what, action, expected, attempt) => {
    const policy = POLICIES[action];
    lc.iam.clear();
    lc.iam.setPolicy(policy);
    let error: unknown;
    try {
      await attempt();
    } catch (err) {
      error = err;
    } finally {
      lc.iam.setPolicy(null);
    }
    expect((error as { name?: string })?.name).toMatch(
      /^(AccessDenied|UnauthorizedOperation|AccessDeniedException)$/,
    );
    const record = lc.iam.records.at(-1)!;
    expect(record.allowed).toBe(false);
    const denied = record.checks.find((c) => !c.allowed)!;
    expect(deniedBy(policy, denied)).toBe(expected);
  });

  it('left every resource of the other team as it was', async () => {
    const g = await groupNow(theirs.groupName);
    expect(g.Tags?.map((t) => t.Key)).not.toContain('golden-ami:parameter');
    expect(g.MaxSize).toBeGreaterThan(0);
    expect(template(theirs).versions.size).toBe(templateVersionsBefore);
    expect(template(theirs).defaultVersion).toBe(1);
    expect(template(theirs).tags).toEqual([]);
    const instance = lc.world.region(REGION).ec2.instances.get(theirInstance)!;
    expect(instance.state).toBe('running');
    expect(instance.tags.map((t) => t.Key)).not.toContain('golden-ami:builder');
    const out = await asg.send(
      new DescribeInstanceRefreshesCommand({
        AutoScalingGroupName: theirs.groupName,
        InstanceRefreshIds: [theirRefresh],
      }),
    );
    expect(out.InstanceRefreshes?.[0]?.Status).not.toMatch(/Cancel|Rollback/);
    const look = await groupNow(lookalike.groupName);
    expect([look.MaxSize, look.Instances?.length]).toEqual([1, 0]);
    const mine = await groupNow(ours.groupName);
    expect([mine.MinSize, mine.MaxSize, mine.VPCZoneIdentifier]).toEqual(oursBefore);
    await expect(ssm.send(new GetParameterCommand({ Name: '/golden-ami/payments' }))).rejects.toMatchObject({
      name: 'ParameterNotFound',
    });
  });

  it('names this account in every ARN of the four policies (none for images and AWS-owned resources)', () => {
    for (const action of ACTIONS)
      for (const s of statements(POLICIES[action]))
        for (const arn of [s.Resource ?? []].flat())
          if (arn !== '*')
            expect([action, arn.split(':')[4]]).toEqual([action, arn.includes('::image/') ? '' : ACCOUNT]);
  });
});
