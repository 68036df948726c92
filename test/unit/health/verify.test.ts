import type { AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import type { Instance } from '@aws-sdk/client-ec2';
import type { TargetHealthDescription } from '@aws-sdk/client-elastic-load-balancing-v2';
import { verify } from '../../../src/health/verify.js';

const TG = 'arn:aws:elasticloadbalancing:eu-west-1:000000000000:targetgroup/web-tg/0123456789abcdef';

function snapshot(
  members: { id: string; version: string; ami: string; target?: string; state?: string }[],
  desired = members.length,
) {
  const group: AutoScalingGroup = {
    AutoScalingGroupName: 'web',
    DesiredCapacity: desired,
    MinSize: 0,
    MaxSize: 10,
    TargetGroupARNs: [TG],
    Instances: members.map((m) => ({
      InstanceId: m.id,
      LifecycleState: (m.state ?? 'InService') as 'InService',
      HealthStatus: 'Healthy',
      LaunchTemplate: { LaunchTemplateId: 'lt-1', Version: m.version },
      AvailabilityZone: 'eu-west-1a',
      ProtectedFromScaleIn: false,
    })),
  } as AutoScalingGroup;
  const instances = new Map<string, Instance>(
    members.map((m) => [m.id, { InstanceId: m.id, ImageId: m.ami }]),
  );
  const targets = new Map<string, TargetHealthDescription[]>([
    [
      TG,
      members
        .filter((m) => m.target)
        .map((m) => ({ Target: { Id: m.id }, TargetHealth: { State: m.target as 'healthy' } })),
    ],
  ]);
  return { group, instances, targets };
}

const expected = { version: '2', amiId: 'ami-00000000000000002' };

describe('verify', () => {
  it('is healthy only when every InService instance is on the version and AMI, capacity is met and targets are healthy', () => {
    const v = verify(
      snapshot([
        { id: 'i-1', version: '2', ami: 'ami-00000000000000002', target: 'healthy' },
        { id: 'i-2', version: '2', ami: 'ami-00000000000000002', target: 'healthy' },
      ]),
      expected,
      false,
    );
    expect(v).toMatchObject({ ok: true, problems: [], onExpected: 2, healthyTargets: 2, totalTargets: 2 });
  });

  it('names every rule that fails: stale instances, missing capacity, targets not healthy', () => {
    const v = verify(
      snapshot(
        [
          { id: 'i-1', version: '1', ami: 'ami-00000000000000001', target: 'healthy' },
          { id: 'i-2', version: '2', ami: 'ami-00000000000000002', target: 'unhealthy' },
          { id: 'i-3', version: '2', ami: 'ami-00000000000000002' },
        ],
        4,
      ),
      expected,
      false,
    );
    expect(v.ok).toBe(false);
    expect(v.problems).toEqual([
      '3 of 4 desired instances InService',
      '1 instance not on version 2 / ami-00000000000000002: i-1 (version 1, ami-00000000000000001)',
      'target group web-tg: i-2 unhealthy, i-3 not registered',
    ]);
    expect(v.unhealthy).toEqual(['i-2']);
  });

  it('counts warm-pool instances: one on the old AMI keeps the group from healthy', () => {
    const s = snapshot([{ id: 'i-1', version: '2', ami: 'ami-00000000000000002', target: 'healthy' }]);
    const warm = (id: string, version: string, ami: string) => {
      s.instances.set(id, { InstanceId: id, ImageId: ami });
      return {
        InstanceId: id,
        LifecycleState: 'Warmed:Stopped' as const,
        HealthStatus: 'Healthy',
        AvailabilityZone: 'eu-west-1a',
        ProtectedFromScaleIn: false,
        LaunchTemplate: { Version: version },
      };
    };
    const stale = verify(
      {
        ...s,
        warm: [warm('i-w1', '2', 'ami-00000000000000002'), warm('i-w2', '1', 'ami-00000000000000001')],
      },
      expected,
      false,
    );
    expect(stale.ok).toBe(false);
    expect(stale.problems).toEqual([
      '1 warm-pool instance not on version 2 / ami-00000000000000002: i-w2 (version 1, ami-00000000000000001)',
    ]);
    // Warm instances are not serving: neither capacity nor targets count them.
    expect(stale).toMatchObject({ inService: ['i-1'], healthyTargets: 1, totalTargets: 1 });
    expect(verify({ ...s, warm: [warm('i-w3', '2', 'ami-00000000000000002')] }, expected, false).ok).toBe(
      true,
    );
  });

  it('judges groups on $Latest by AMI alone', () => {
    const v = verify(
      snapshot([{ id: 'i-1', version: '$Latest', ami: 'ami-00000000000000002', target: 'healthy' }]),
      expected,
      false,
    );
    expect(v.ok).toBe(true);
  });

  it('requires every instance to pass the health-url check when one is configured', () => {
    const s = snapshot([
      { id: 'i-1', version: '2', ami: 'ami-00000000000000002', target: 'healthy' },
      { id: 'i-2', version: '2', ami: 'ami-00000000000000002', target: 'healthy' },
    ]);
    const http = new Map([
      ['i-1', { ok: true, detail: 'HTTP 200' }],
      ['i-2', { ok: false, detail: 'serves "1.4.1", not 1.4.2' }],
    ]);
    const v = verify({ ...s, http }, expected, true);
    expect(v.ok).toBe(false);
    expect(v.httpOk).toBe(1);
    expect(v.problems).toEqual(['health-url: i-2 serves "1.4.1", not 1.4.2']);
    expect(v.unhealthy).toEqual(['i-2']);
  });
});
