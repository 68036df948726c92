// The newest refresh is the one with the latest StartTime, whatever order AWS lists them in.
import { newestRefresh } from '../../../src/aws/refreshes.js';
import { targetGroupArns } from '../../../src/health/traffic-sources.js';

const at = (id: string, iso?: string) => ({
  InstanceRefreshId: id,
  ...(iso ? { StartTime: new Date(iso) } : {}),
});

describe('newestRefresh', () => {
  it('picks the latest StartTime in either list order', () => {
    const list = [at('old', '2026-01-01T00:00:00Z'), at('new', '2026-01-02T00:00:00Z'), at('none')];
    expect(newestRefresh(list)?.InstanceRefreshId).toBe('new');
    expect(newestRefresh([...list].reverse())?.InstanceRefreshId).toBe('new');
    expect(newestRefresh([])).toBeUndefined();
  });
});

describe('targetGroupArns', () => {
  const tg = (n: string) =>
    `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/${n}/0123456789abcdef`;

  it('reads TargetGroupARNs and the elbv2 traffic sources once each, not classic or lattice ones', () => {
    expect(
      targetGroupArns({
        AutoScalingGroupName: 'web',
        TargetGroupARNs: [tg('a')],
        TrafficSources: [
          { Identifier: tg('a'), Type: 'elbv2' },
          { Identifier: tg('b'), Type: 'elbv2' },
          { Identifier: tg('c') },
          { Identifier: 'my-classic-lb', Type: 'elb' },
          { Identifier: 'arn:aws:vpc-lattice:us-east-1:123456789012:targetgroup/tg-1', Type: 'vpc-lattice' },
        ],
      } as never),
    ).toEqual([tg('a'), tg('b'), tg('c')]);
    expect(targetGroupArns(undefined)).toEqual([]);
  });
});
