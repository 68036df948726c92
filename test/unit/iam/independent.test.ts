// The shipped IAM policies evaluated by @cloud-copilot/iam-simulate, an evaluator this project did
// not write: every call the actions make is allowed, every row of the escalation table is denied, and
// localcloud's evaluator (which the e2e tests enforce) decides every row the same way.
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../harness/action-metadata.js';
import type { AuthRequest } from '../../localcloud/iam.js';
import { ESCALATION_TESTS, ORG_PRINCIPALS, type Attack, type OrgPrincipal } from './attacks.js';
import { BREAKER_PATHS } from './attacks-breaker.js';
import { ISSUE_PATHS } from './attacks-issue.js';
import { CALLS } from './calls.js';
import { AWS_OWNED_SSM, independent, localcloud, type Policies } from './evaluators.js';
import { ACTION_POLICY, ORG_POLICIES, POLICY_FILES, ROLES, type ActionName } from './shipped.js';

const ADMIN = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow' as const, Action: '*', Resource: '*' }],
};
/** As attached in an organization: AWS's default FullAWSAccess SCP beside ours. */
const ORG = {
  scps: { FullAWSAccess: ADMIN, 'reserved-tags': ORG_POLICIES.scp },
  rcps: { 'refresh-events-queue': ORG_POLICIES.rcp },
};
const isOrgPrincipal = (as: Attack['as']): as is OrgPrincipal => as in ORG_PRINCIPALS;
/** Administrator rights under the organization policies, as `role`. */
const underOrg = (role: string): Policies => ({
  identity: { AdministratorAccess: ADMIN },
  ...ORG,
  principal: `arn:aws:iam::123456789012:role/${role}`,
});
const policiesOf = (as: Attack['as']): Policies =>
  isOrgPrincipal(as) ? underOrg(ORG_PRINCIPALS[as]) : { identity: ACTION_POLICY[as] };

const ROWS: Attack[] = [...ESCALATION_TESTS, ...ISSUE_PATHS, ...BREAKER_PATHS];
const callRows = Object.entries(CALLS).flatMap(([action, calls]) =>
  calls.map((c) => [action as ActionName, c.what, c.checks] as const),
);

async function allowedByBoth(p: Policies, c: AuthRequest) {
  const d = await independent(p, c);
  return { ...d, localcloud: localcloud(p, c) };
}

describe('every call each action makes is allowed by its shipped policy', () => {
  it.each(callRows)('%s: %s', async (action, _what, checks) => {
    for (const c of checks) {
      const d = await allowedByBoth({ identity: ACTION_POLICY[action] }, c);
      // Every condition key given is one AWS sends for that action and resource type.
      expect([c.action, c.resource, d.ignored]).toEqual([c.action, c.resource, []]);
      expect([c.action, c.resource, d.unsupported ? 'localcloud only' : d.allowed, d.localcloud]).toEqual([
        c.action,
        c.resource,
        d.unsupported ? 'localcloud only' : true,
        true,
      ]);
      if (d.unsupported) expect(c.resource).toMatch(AWS_OWNED_SSM);
    }
  });

  it('and by the role each GitHub environment holds, under the reserved-tags SCP and the queue RCP', async () => {
    const roles: Array<[keyof typeof ROLES, string, ActionName[]]> = [
      ['bake', 'golden-ami-bake', ['bake-ami', 'promote-ami-parameter', 'retire-amis']],
      ['bake-packer', 'golden-ami-bake', ['bake-ami (packer)']],
      ['bake-packer-1.6', 'golden-ami-bake', ['bake-ami (packer 1.6.6)']],
      ['deploy', 'golden-ami-production', ['deploy-ami']],
    ];
    for (const [role, name, actions] of roles)
      for (const action of actions)
        for (const call of CALLS[action])
          for (const c of call.checks) {
            if (AWS_OWNED_SSM.test(c.resource)) continue;
            const d = await independent(
              { identity: ROLES[role], ...ORG, principal: `arn:aws:iam::123456789012:role/${name}` },
              c,
            );
            expect([role, call.what, c.action, c.resource, d.allowed]).toEqual([
              role,
              call.what,
              c.action,
              c.resource,
              true,
            ]);
          }
  });
});

describe('the reserved-tags SCP', () => {
  it('reserves every golden-ami: key the actions write, but the consent and keep keys fleet owners set', () => {
    const written = new Set<string>();
    const walk = (dir: string): void => {
      for (const f of readdirSync(join(repoRoot, dir), { withFileTypes: true }))
        if (f.isDirectory()) walk(join(dir, f.name));
        else
          for (const m of readFileSync(join(repoRoot, dir, f.name), 'utf8').matchAll(
            /'(golden-ami:[a-z-]+)'/g,
          ))
            written.add(m[1]!);
    };
    walk('src');
    const reserved = [ORG_POLICIES.scp.Statement].flat()[0]!.Condition![
      'ForAnyValue:StringEqualsIgnoreCase'
    ]!['aws:TagKeys'];
    const fleetOwners = ['golden-ami:parameter', 'golden-ami:keep'];
    expect([...written].filter((k) => !fleetOwners.includes(k)).sort()).toEqual([reserved].flat().sort());
  });

  it('lets fleet owners give consent and keep AMIs, and anyone tag their own resources with other keys', async () => {
    const group =
      'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:0:autoScalingGroupName/web-production';
    const image = 'arn:aws:ec2:us-east-1::image/ami-0plain000000001';
    const tagging = (action: string, resource: string, key: string, value: string): AuthRequest => ({
      action,
      resource,
      context: { 'aws:TagKeys': [key], [`aws:RequestTag/${key}`]: value },
    });
    const allowed = async (role: string, c: AuthRequest) => (await independent(underOrg(role), c)).allowed;
    const consent = tagging(
      'autoscaling:CreateOrUpdateTags',
      group,
      'golden-ami:parameter',
      '/golden-ami/web',
    );
    expect(await allowed('golden-ami-fleet-owner', consent)).toBe(true);
    expect(
      await allowed('golden-ami-fleet-owner', tagging('ec2:CreateTags', image, 'golden-ami:keep', 'true')),
    ).toBe(true);
    expect(await allowed('payments-admin', tagging('ec2:CreateTags', image, 'team', 'payments'))).toBe(true);
  });
});

describe('the escalation table: every row is denied', () => {
  it.each(ROWS.map((r) => [r.as, r.what, r] as const))('%s: %s', async (_as, _what, row) => {
    const decisions = await Promise.all(row.checks.map((c) => independent(policiesOf(row.as), c)));
    expect(decisions.some((d) => !d.allowed)).toBe(true);
    expect(decisions.flatMap((d) => d.ignored)).toEqual([]);
  });

  it("localcloud's evaluator agrees with the independent one on every check of every row it can evaluate", async () => {
    let rows = 0;
    for (const row of ROWS) {
      if (isOrgPrincipal(row.as)) continue; // localcloud has no organization policies
      for (const c of row.checks) {
        const p = policiesOf(row.as);
        const d = await independent(p, c);
        expect([row.what, c.action, c.resource, localcloud(p, c)]).toEqual([
          row.what,
          c.action,
          c.resource,
          d.allowed,
        ]);
      }
      rows++;
    }
    for (const [action, , checks] of callRows)
      for (const c of checks)
        if (!AWS_OWNED_SSM.test(c.resource))
          expect(localcloud({ identity: ACTION_POLICY[action] }, c)).toBe(
            (await independent({ identity: ACTION_POLICY[action] }, c)).allowed,
          );
    expect(rows).toBe(ROWS.filter((r) => !isOrgPrincipal(r.as)).length);
  });

  it('the README escalation table lists exactly these rows', () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const table = readme.split('<!-- escalation:start -->')[1]!.split('<!-- escalation:end -->')[0]!;
    const listed = table
      .split('\n')
      .filter((l) => /^\| \d+ /.test(l))
      .map((l) => l.split('|').map((c) => c.trim()))
      .map(([, , , as, what]) => `${as}: ${what}`);
    expect(listed).toEqual(ROWS.map((r) => `${r.as}: ${r.what}`));
  });
});

it('evaluates every shipped policy file', () => {
  const used = new Set(Object.values(ACTION_POLICY).flatMap((p) => Object.keys(p)));
  expect(Object.keys(POLICY_FILES).filter((f) => !used.has(f))).toEqual([]);
  expect(Object.keys(POLICY_FILES).length).toBe(9);
});

it('no statement of any shipped policy allows a mutating action on "*"', () => {
  const mutating = Object.entries(POLICY_FILES).flatMap(([file, doc]) =>
    [doc.Statement]
      .flat()
      .filter((s) => [s.Resource].flat().includes('*'))
      .flatMap((s) => [s.Action ?? []].flat().filter((a) => !/:(Describe|Get|List)/.test(a)))
      .map((a) => `${file}: ${a}`),
  );
  expect(mutating).toEqual([]);
});
