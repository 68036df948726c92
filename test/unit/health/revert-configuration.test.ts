// The refresh back after a check fails on a Successful refresh: a mixed-instances group keeps its
// policy (overrides, distribution), with the template at the previous version; a plain group
// names the template alone.
import { describe, expect, test } from '@jest/globals';
import { revertConfiguration } from '../../../src/health/aws-calls.js';

describe('revertConfiguration', () => {
  const to = { templateId: 'lt-main', version: '3' };

  test('a plain group: the template at the previous version', () => {
    expect(
      revertConfiguration(to, { LaunchTemplate: { LaunchTemplateId: 'lt-main', Version: '4' } }),
    ).toEqual({
      LaunchTemplate: { LaunchTemplateId: 'lt-main', Version: '3' },
    });
    expect(revertConfiguration(to, undefined)).toEqual({
      LaunchTemplate: { LaunchTemplateId: 'lt-main', Version: '3' },
    });
  });

  test('a mixed-instances group keeps its policy; only specs of that template go back', () => {
    const distribution = { OnDemandBaseCapacity: 1, OnDemandPercentageAboveBaseCapacity: 50 };
    const out = revertConfiguration(to, {
      MixedInstancesPolicy: {
        InstancesDistribution: distribution,
        LaunchTemplate: {
          LaunchTemplateSpecification: { LaunchTemplateId: 'lt-main', Version: '4' },
          Overrides: [
            { InstanceType: 't3.micro' },
            {
              InstanceType: 't3a.micro',
              LaunchTemplateSpecification: { LaunchTemplateId: 'lt-arm', Version: '7' },
            },
            {
              InstanceType: 't3.small',
              LaunchTemplateSpecification: { LaunchTemplateId: 'lt-main', Version: '4' },
            },
          ],
        },
      },
    });
    expect(out).toEqual({
      MixedInstancesPolicy: {
        InstancesDistribution: distribution,
        LaunchTemplate: {
          LaunchTemplateSpecification: { LaunchTemplateId: 'lt-main', Version: '3' },
          Overrides: [
            { InstanceType: 't3.micro' },
            {
              InstanceType: 't3a.micro',
              LaunchTemplateSpecification: { LaunchTemplateId: 'lt-arm', Version: '7' },
            },
            {
              InstanceType: 't3.small',
              LaunchTemplateSpecification: { LaunchTemplateId: 'lt-main', Version: '3' },
            },
          ],
        },
      },
    });
    expect(out).not.toHaveProperty('LaunchTemplate');
  });
});
