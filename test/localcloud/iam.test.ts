// IAM evaluation and the resources each request authorizes: the rules the least-privilege benchmark
// relies on to say "this policy is enough, and every statement in it is needed".
import { describe, expect, it } from '@jest/globals';
import { seedGroup } from './aws/autoscaling-seed.js';
import { evaluate, validatePolicy, type PolicyDocument } from './iam.js';
import { IamAuthorizer } from './iam-authorizer.js';
import { authorizationsFor } from './iam-resources.js';
import { seedRegion } from './seed.js';
import { World } from './state.js';

const ACCOUNT = '123456789012';
const allow = (
  Action: string | string[],
  Resource: string | string[] = '*',
  Condition?: object,
): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action, Resource, ...(Condition ? { Condition } : {}) } as never],
});

describe('evaluate', () => {
  it('allows by action wildcard, case-insensitively, and denies implicitly otherwise', () => {
    const p = allow('ec2:Describe*');
    expect(evaluate(p, { action: 'ec2:DescribeInstances', resource: '*' })).toMatchObject({
      allowed: true,
      statement: 0,
    });
    expect(evaluate(p, { action: 'EC2:describeimages', resource: '*' }).allowed).toBe(true);
    expect(evaluate(p, { action: 'ec2:RunInstances', resource: '*' })).toEqual({
      allowed: false,
      kind: 'implicit-deny',
    });
    expect(evaluate(allow('ec2:?topInstances'), { action: 'ec2:StopInstances', resource: '*' }).allowed).toBe(
      true,
    );
  });

  it('matches resource ARNs segment by segment, with * inside segments and the account left empty', () => {
    const p = allow('ec2:CreateTags', ['arn:aws:ec2:*:123456789012:instance/*', 'arn:aws:ec2:*::image/*']);
    const check = (resource: string) => evaluate(p, { action: 'ec2:CreateTags', resource }).allowed;
    expect(check('arn:aws:ec2:us-east-1:123456789012:instance/i-0abc')).toBe(true);
    expect(check('arn:aws:ec2:eu-west-1::image/ami-0abc')).toBe(true);
    expect(check('arn:aws:ec2:us-east-1:999999999999:instance/i-0abc')).toBe(false);
    expect(check('arn:aws:ec2:us-east-1:123456789012:volume/vol-1')).toBe(false);
    // A request on "*" (no resource-level permissions) needs Resource "*".
    expect(check('*')).toBe(false);
  });

  it('lets an explicit Deny win over any Allow', () => {
    const p: PolicyDocument = {
      Statement: [
        { Effect: 'Allow', Action: 'ec2:*', Resource: '*' },
        { Sid: 'NoTerminate', Effect: 'Deny', Action: 'ec2:TerminateInstances', Resource: '*' },
      ],
    };
    expect(
      evaluate(p, { action: 'ec2:TerminateInstances', resource: 'arn:aws:ec2:r:a:instance/i-1' }),
    ).toEqual({
      allowed: false,
      kind: 'explicit-deny',
      statement: 1,
    });
    expect(evaluate(p, { action: 'ec2:StopInstances', resource: '*' }).allowed).toBe(true);
  });

  it('supports NotAction and NotResource', () => {
    const p: PolicyDocument = {
      Statement: [{ Effect: 'Allow', NotAction: 'iam:*', NotResource: 'arn:aws:s3:::secret/*' }],
    };
    expect(evaluate(p, { action: 'ec2:RunInstances', resource: '*' }).allowed).toBe(true);
    expect(evaluate(p, { action: 'iam:PassRole', resource: '*' }).allowed).toBe(false);
    expect(evaluate(p, { action: 'ec2:RunInstances', resource: 'arn:aws:s3:::secret/x' }).allowed).toBe(
      false,
    );
  });

  it('evaluates Null on resource tags: only tagged builders may be stopped', () => {
    const p = allow('ec2:StopInstances', 'arn:aws:ec2:*:123456789012:instance/*', {
      Null: { 'aws:ResourceTag/golden-ami:builder': 'false' },
    });
    const resource = 'arn:aws:ec2:us-east-1:123456789012:instance/i-1';
    expect(
      evaluate(p, {
        action: 'ec2:StopInstances',
        resource,
        context: { 'aws:ResourceTag/golden-ami:builder': 'b-1' },
      }).allowed,
    ).toBe(true);
    expect(
      evaluate(p, { action: 'ec2:StopInstances', resource, context: { 'aws:ResourceTag/Name': 'web' } })
        .allowed,
    ).toBe(false);
  });

  it('matches tag keys in condition keys whatever their case', () => {
    const p = allow('autoscaling:UpdateAutoScalingGroup', '*', {
      StringEquals: { 'aws:ResourceTag/golden-ami:parameter': '/golden-ami/web' },
    });
    const req = (key: string) =>
      evaluate(p, {
        action: 'autoscaling:UpdateAutoScalingGroup',
        resource: '*',
        context: { [key]: '/golden-ami/web' },
      }).allowed;
    expect([
      req('aws:ResourceTag/golden-ami:parameter'),
      req('AWS:ResourceTag/Golden-AMI:Parameter'),
    ]).toEqual([true, true]);
  });

  it('evaluates string operators: missing keys fail positive operators and pass negated ones; IfExists passes when missing', () => {
    const ctx = { 'iam:PassedToService': 'ec2.amazonaws.com' };
    const req = (Condition: object, context: Record<string, string> = ctx) =>
      evaluate(allow('iam:PassRole', '*', Condition), { action: 'iam:PassRole', resource: '*', context })
        .allowed;
    expect(req({ StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } })).toBe(true);
    expect(
      req({ StringEquals: { 'IAM:passedtoservice': ['lambda.amazonaws.com', 'ec2.amazonaws.com'] } }),
    ).toBe(true);
    expect(req({ StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } }, {})).toBe(false);
    expect(req({ StringNotEquals: { 'iam:PassedToService': 'lambda.amazonaws.com' } })).toBe(true);
    expect(req({ StringNotEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } })).toBe(false);
    expect(req({ StringNotEquals: { 'aws:RequestTag/x': 'y' } }, {})).toBe(true);
    expect(req({ StringLike: { 'iam:PassedToService': 'ec2.*' } })).toBe(true);
    expect(req({ StringEqualsIfExists: { 'aws:RequestTag/team': 'web' } }, {})).toBe(true);
    expect(
      req({ StringEqualsIfExists: { 'aws:RequestTag/team': 'web' } }, { 'aws:RequestTag/team': 'db' }),
    ).toBe(false);
    expect(req({ Bool: { 'aws:SecureTransport': 'true' } }, { 'aws:SecureTransport': 'true' })).toBe(true);
  });

  it('evaluates ForAnyValue and ForAllValues over multi-valued keys', () => {
    const keys = { 'aws:TagKeys': ['team', 'Name'] } as never;
    const req = (Condition: object) =>
      evaluate(allow('ec2:CreateTags', '*', Condition), {
        action: 'ec2:CreateTags',
        resource: '*',
        context: keys,
      }).allowed;
    expect(req({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['team', 'Name', 'env'] } })).toBe(true);
    expect(req({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['team'] } })).toBe(false);
    expect(req({ 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['Name'] } })).toBe(true);
    expect(req({ 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['owner'] } })).toBe(false);
  });

  it('refuses documents it cannot evaluate faithfully', () => {
    expect(() => validatePolicy({ Statement: [] })).toThrow(/at least one Statement/);
    expect(() => validatePolicy({ Statement: [{ Effect: 'Maybe', Action: 'x', Resource: '*' }] })).toThrow(
      /Effect/,
    );
    expect(() => validatePolicy({ Statement: [{ Effect: 'Allow', Resource: '*' }] })).toThrow(
      /Action and NotAction/,
    );
    expect(() =>
      validatePolicy({
        Statement: [{ Effect: 'Allow', Action: 'x', Resource: '*', Condition: { DateGreaterThan: {} } }],
      }),
    ).toThrow(/DateGreaterThan is not supported/);
  });
});

describe('authorizationsFor', () => {
  const world = new World({ accountId: ACCOUNT });
  world.addSeeder(seedRegion);
  const region = world.region('us-east-1');

  it('authorizes Describe calls on "*" and stop/terminate per instance with its tags', () => {
    expect(authorizationsFor('ec2', 'DescribeInstances', {}, region)).toEqual([
      { action: 'ec2:DescribeInstances', resource: '*', context: { 'aws:RequestedRegion': 'us-east-1' } },
    ]);
    const checks = authorizationsFor('ec2', 'TerminateInstances', { InstanceIds: ['i-1', 'i-2'] }, region);
    expect(checks.map((c) => c.resource)).toEqual([
      `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/i-1`,
      `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/i-2`,
    ]);
  });

  it('gives the size and subnets an UpdateAutoScalingGroup sets', () => {
    const [group] = authorizationsFor(
      'autoscaling',
      'UpdateAutoScalingGroup',
      { AutoScalingGroupName: 'web', MinSize: 0, MaxSize: 0, VPCZoneIdentifier: 'subnet-1, subnet-2' },
      region,
    );
    expect(group!.context).toMatchObject({
      'autoscaling:MinSize': '0',
      'autoscaling:MaxSize': '0',
      'autoscaling:VPCZoneIdentifiers': ['subnet-1', 'subnet-2'],
    });
    const [pinOnly] = authorizationsFor(
      'autoscaling',
      'UpdateAutoScalingGroup',
      { AutoScalingGroupName: 'web', LaunchTemplate: { LaunchTemplateId: 'lt-none', Version: '3' } },
      region,
    );
    expect(Object.keys(pinOnly!.context ?? {}).filter((k) => k.startsWith('autoscaling:M'))).toEqual([]);
  });

  it('authorizes RunInstances on each resource, tags on create and the passed role', () => {
    const checks = authorizationsFor(
      'ec2',
      'RunInstances',
      {
        ImageId: 'ami-1',
        IamInstanceProfile: { Name: 'golden-ami-builder' },
        TagSpecifications: [
          { ResourceType: 'instance', Tags: [{ Key: 'golden-ami:builder', Value: 'b-1' }] },
        ],
      },
      region,
    );
    expect(checks.map((c) => `${c.action} ${c.resource}`)).toEqual([
      `ec2:RunInstances arn:aws:ec2:us-east-1:${ACCOUNT}:instance/*`,
      `ec2:RunInstances arn:aws:ec2:us-east-1:${ACCOUNT}:volume/*`,
      `ec2:RunInstances arn:aws:ec2:us-east-1:${ACCOUNT}:network-interface/*`,
      'ec2:RunInstances arn:aws:ec2:us-east-1::image/ami-1',
      `ec2:CreateTags arn:aws:ec2:us-east-1:${ACCOUNT}:instance/*`,
      `iam:PassRole arn:aws:iam::${ACCOUNT}:role/golden-ami-builder`,
    ]);
    expect(checks[4]!.context).toMatchObject({
      'ec2:CreateAction': 'RunInstances',
      'aws:RequestTag/golden-ami:builder': 'b-1',
    });
    expect(checks[5]!.context).toMatchObject({ 'iam:PassedToService': 'ec2.amazonaws.com' });
  });

  it('names SSM parameters and AWS documents by their ARNs, public ones without an account', () => {
    const resource = (name: string) =>
      authorizationsFor('ssm', 'GetParameter', { Name: name }, region)[0]!.resource;
    expect(resource('/golden-ami/web:staging')).toBe(
      `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/golden-ami/web`,
    );
    expect(resource('/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64')).toBe(
      'arn:aws:ssm:us-east-1::parameter/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
    );
    const send = authorizationsFor(
      'ssm',
      'SendCommand',
      { DocumentName: 'AWS-RunShellScript', InstanceIds: ['i-9'] },
      region,
    );
    expect(send.map((c) => c.resource)).toEqual([
      'arn:aws:ssm:us-east-1::document/AWS-RunShellScript',
      `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/i-9`,
    ]);
  });

  it("authorizes a refresh on the group's ARN and checks the caller may launch its template", () => {
    const g = seedGroup(world, 'us-east-1', {
      name: 'iam-web',
      desired: 0,
      tags: { Environment: 'staging' },
    });
    const checks = authorizationsFor(
      'autoscaling',
      'StartInstanceRefresh',
      {
        AutoScalingGroupName: 'iam-web',
        DesiredConfiguration: { LaunchTemplate: { LaunchTemplateId: g.launchTemplateId, Version: '1' } },
      },
      region,
    );
    expect(checks[0]!.resource).toMatch(
      new RegExp(
        `^arn:aws:autoscaling:us-east-1:${ACCOUNT}:autoScalingGroup:.+:autoScalingGroupName/iam-web$`,
      ),
    );
    expect(checks[0]!.context).toMatchObject({ 'aws:ResourceTag/Environment': 'staging' });
    const template = `arn:aws:ec2:us-east-1:${ACCOUNT}:launch-template/${g.launchTemplateId}`;
    const launch = checks.slice(1);
    // The launch the template describes, as RunInstances with that template: every resource carries
    // ec2:LaunchTemplate, the template its own tags.
    expect(launch.map((c) => [c.action, c.resource])).toEqual(
      expect.arrayContaining([
        ['ec2:RunInstances', template],
        ['ec2:RunInstances', `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/*`],
        ['ec2:RunInstances', `arn:aws:ec2:us-east-1:${ACCOUNT}:volume/*`],
        ['ec2:RunInstances', `arn:aws:ec2:us-east-1:${ACCOUNT}:network-interface/*`],
      ]),
    );
    for (const c of launch) expect(c.context).toMatchObject({ 'ec2:LaunchTemplate': template });
  });
});

describe('IamAuthorizer', () => {
  const world = new World({ accountId: ACCOUNT });
  world.addSeeder(seedRegion);
  const region = world.region('us-east-1');

  it('enforces nothing without a policy and answers each protocol as AWS does with one', () => {
    const iam = new IamAuthorizer();
    expect(
      iam.authorize('ec2', 'ec2', 'TerminateInstances', { InstanceIds: ['i-1'] }, region),
    ).toBeUndefined();
    iam.setPolicy(allow(['ec2:Describe*', 'autoscaling:Describe*']));
    const ec2 = iam.authorize('ec2', 'ec2', 'TerminateInstances', { InstanceIds: ['i-1'] }, region);
    expect(ec2).toMatchObject({ code: 'UnauthorizedOperation', status: 403 });
    expect(ec2?.message).toMatch(
      /not authorized to perform: ec2:TerminateInstances on resource: arn:aws:ec2:us-east-1:123456789012:instance\/i-1/,
    );
    expect(iam.authorize('ssm', 'json', 'GetParameter', { Name: 'x' }, region)).toMatchObject({
      code: 'AccessDeniedException',
      status: 400,
    });
    expect(
      iam.authorize('autoscaling', 'query', 'DeleteAutoScalingGroup', { AutoScalingGroupName: 'x' }, region),
    ).toMatchObject({
      code: 'AccessDenied',
      status: 403,
    });
    expect(iam.authorize('ec2', 'ec2', 'DescribeImages', {}, region)).toBeUndefined();
    expect(iam.authorize('sts', 'query', 'GetCallerIdentity', {}, region)).toBeUndefined();
    expect(iam.records.map((r) => [r.operation, r.allowed])).toEqual([
      ['TerminateInstances', false],
      ['GetParameter', false],
      ['DeleteAutoScalingGroup', false],
      ['DescribeImages', true],
      ['GetCallerIdentity', true],
    ]);
    iam.setPolicy(null);
    expect(
      iam.authorize('ec2', 'ec2', 'TerminateInstances', { InstanceIds: ['i-1'] }, region),
    ).toBeUndefined();
  });
});
