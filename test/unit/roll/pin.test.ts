// src/roll/pin.ts: a group's launch source as UpdateAutoScalingGroup takes it, with floating
// versions ($Latest, $Default) pinned to the numbers they resolve to; pure, so no cloud.
import { describe, expect, test } from '@jest/globals';
import type { AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import { launchSource, sourcesOf } from '../../../src/roll/pin.js';
import type { GroupPlan } from '../../../src/roll/plan.js';
import type { TemplateVersion } from '../../../src/roll/launch-template.js';

function plan(group: AutoScalingGroup, templates: TemplateVersion[]): GroupPlan {
  return {
    region: 'us-east-1',
    name: 'web',
    group,
    amiId: 'ami-00000000000000002',
    kind: group.MixedInstancesPolicy ? 'mixed-instances' : 'launch-template',
    imageSource: 'launch-template',
    templates,
    instances: { total: 1, onAmi: 0 },
    replacing: [],
    warnings: [],
    alreadyCurrent: false,
  };
}

describe('pin', () => {
  test('a plain group on $Latest: written as it is, pinned to the number, by id alone', () => {
    const p = plan(
      {
        LaunchTemplate: { LaunchTemplateId: 'lt-1', LaunchTemplateName: 'web', Version: '$Latest' },
      } as AutoScalingGroup,
      [{ id: 'lt-1', name: 'web', requested: '$Latest', version: 7 }],
    );
    expect(sourcesOf(p)).toEqual({
      source: { LaunchTemplate: { LaunchTemplateId: 'lt-1', Version: '$Latest' } },
      pinned: { LaunchTemplate: { LaunchTemplateId: 'lt-1', Version: '7' } },
    });
  });

  test('a group naming its template by name and no version ($Default) pins by id', () => {
    const p = plan({ LaunchTemplate: { LaunchTemplateName: 'web' } } as AutoScalingGroup, [
      { id: 'lt-1', name: 'web', requested: '$Default', version: 5 },
    ]);
    expect(sourcesOf(p).pinned).toEqual({ LaunchTemplate: { LaunchTemplateId: 'lt-1', Version: '5' } });
    expect(sourcesOf(p).source).toEqual({ LaunchTemplate: { LaunchTemplateName: 'web' } });
  });

  test('a mixed-instances group: the main template and each override template, the rest of the policy kept', () => {
    /** Main template lt-1 at `main`; one override on its own template, one on the main's. */
    const mixed = (main: string) =>
      ({
        MixedInstancesPolicy: {
          InstancesDistribution: { OnDemandBaseCapacity: 1 },
          LaunchTemplate: {
            LaunchTemplateSpecification: { LaunchTemplateId: 'lt-1', Version: main },
            Overrides: [
              { InstanceType: 't3.micro' },
              {
                InstanceType: 't4g.micro',
                LaunchTemplateSpecification: { LaunchTemplateId: 'lt-arm', Version: '2' },
              },
            ],
          },
        },
      }) as AutoScalingGroup;
    const p = plan(mixed('$Latest'), [
      { id: 'lt-1', requested: '$Latest', version: 9 },
      { id: 'lt-arm', requested: '2', version: 2 },
    ]);
    expect(sourcesOf(p)).toEqual({ source: mixed('$Latest'), pinned: mixed('9') });
  });

  test('launchSource passes every spec through the mapping, overrides included', () => {
    const group = {
      MixedInstancesPolicy: {
        LaunchTemplate: {
          LaunchTemplateSpecification: { LaunchTemplateId: 'lt-1', Version: '1' },
          Overrides: [{ LaunchTemplateSpecification: { LaunchTemplateId: 'lt-2', Version: '1' } }],
        },
      },
    } as AutoScalingGroup;
    const seen: string[] = [];
    launchSource(plan(group, []), (spec) => {
      seen.push(spec.LaunchTemplateId!);
      return spec;
    });
    expect(seen).toEqual(['lt-1', 'lt-2']);
  });
});
