// A MixedInstancesPolicy group with an override template and an instances distribution, on the
// brownfield estate: a health-url check failing after its refresh ended Successful is put back by a
// refresh back that carries the whole policy — every observable of the estate (launch sources with
// overrides and distribution, both templates' versions, the AMIs instances run, labels) reads as
// before, and no version the run made is left on either template.
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { DescribeLaunchTemplateVersionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { localcloudEnv, runActionStep } from '../harness/run-action.js';
import { start, type Localcloud } from '../localcloud/index.js';
import { diffFromBefore, settledSnapshot } from '../support/observables.js';
import { buildEstate, CREDENTIALS, ENVIRONMENT, PARAMETER, PRIMARY, type Estate } from './brownfield.js';
import { estateScope, FAST_DURATIONS } from './interruptions.js';

jest.setTimeout(240_000);

const HTTP_PORT = 18591;

describe('a mixed-instances group failing a check after its refresh ended Successful', () => {
  let lc: Localcloud;
  let estate: Estate;

  beforeAll(async () => {
    lc = await start({ port: 0, seed: 91, durations: FAST_DURATIONS, instanceHttpPort: HTTP_PORT });
    estate = await buildEstate(lc);
  });
  afterAll(() => lc.stop());

  /** deploy-ami of the estate's new AMI to web-mixed alone, with `extra` inputs. */
  const deployMixed = (extra: Record<string, string>) =>
    runActionStep('deploy-ami', {
      inputs: {
        'ami-id': estate.newAmi,
        'parameter-name': PARAMETER,
        environment: ENVIRONMENT,
        region: PRIMARY,
        'asg-names': 'web-mixed',
        timeout: '2m',
        'poll-interval': '0.2',
        'max-poll-interval': '0.5',
        ...extra,
      },
      env: localcloudEnv(lc.url, PRIMARY),
    });

  test('is refreshed back with its policy, overrides and distribution as they were; no version left', async () => {
    const scope = estateScope(lc, estate);
    const before = await settledSnapshot(scope);
    const r = await deployMixed({
      'health-url': `http://{private-ip}:${HTTP_PORT}/version`,
      'expected-version': '9.9.9',
      'unhealthy-grace': '1',
    });
    expect(`${r.outputs.status}\n${r.errors.join('\n')}`).toMatch(/^rolled-back\n/);
    expect(r.errors[0]).toMatch(/web-mixed: refreshed back .*deleted launch template/);
    const starts = lc.logs.mutations
      .query({ operation: 'StartInstanceRefresh' })
      .map(
        (m) =>
          m.params as { DesiredConfiguration?: { MixedInstancesPolicy?: unknown; LaunchTemplate?: unknown } },
      );
    // The refresh and the refresh back both carry the MixedInstancesPolicy, never LaunchTemplate alone.
    expect(starts.length).toBeGreaterThanOrEqual(2);
    for (const s of starts) {
      expect(s.DesiredConfiguration?.MixedInstancesPolicy).toBeDefined();
      expect(s.DesiredConfiguration?.LaunchTemplate).toBeUndefined();
    }
    expect(diffFromBefore(before, await settledSnapshot(scope))).toEqual([]);
  });

  test('proven on $Latest with an override pinned to a number: $Latest again, the override on the new version', async () => {
    const cfg = { region: PRIMARY, endpoint: lc.url, credentials: CREDENTIALS };
    const asg = new AutoScalingClient(cfg);
    const ec2 = new EC2Client(cfg);
    const policy = async () =>
      (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['web-mixed'] })))
        .AutoScalingGroups![0]!.MixedInstancesPolicy!.LaunchTemplate!;
    try {
      // As Terraform writes it: the base template on $Latest, the override's template pinned.
      const lt = await policy();
      const base = lt.LaunchTemplateSpecification!.LaunchTemplateId!;
      await asg.send(
        new UpdateAutoScalingGroupCommand({
          AutoScalingGroupName: 'web-mixed',
          MixedInstancesPolicy: {
            LaunchTemplate: {
              ...lt,
              LaunchTemplateSpecification: { LaunchTemplateId: base, Version: '$Latest' },
            },
          },
        }),
      );
      const r = await deployMixed({});
      expect(`${r.outputs.status}\n${r.errors.join('\n')}`).toBe('healthy\n');
      const after = await policy();
      expect(after.LaunchTemplateSpecification?.Version).toBe('$Latest');
      // Every template the group launches from, by the version it names, launches the new AMI.
      for (const spec of [
        after.LaunchTemplateSpecification!,
        after.Overrides![1]!.LaunchTemplateSpecification!,
      ]) {
        const v = await ec2.send(
          new DescribeLaunchTemplateVersionsCommand({
            LaunchTemplateId: spec.LaunchTemplateId!,
            Versions: [spec.Version!],
          }),
        );
        expect(v.LaunchTemplateVersions?.[0]?.LaunchTemplateData?.ImageId).toBe(estate.newAmi);
      }
      expect(after.Overrides![1]!.LaunchTemplateSpecification!.Version).not.toBe('1');
    } finally {
      asg.destroy();
      ec2.destroy();
    }
  });
});
