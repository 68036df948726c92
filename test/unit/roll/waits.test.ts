import type { AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import { refreshWaitWarnings } from '../../../src/roll/waits.js';

const NEW = 'ami-00000000000000002';
const OLD = 'ami-00000000000000001';

function group(members: { id: string; state?: string; protectedIn?: boolean }[]): AutoScalingGroup {
  return {
    AutoScalingGroupName: 'web',
    Instances: members.map((m) => ({
      InstanceId: m.id,
      LifecycleState: (m.state ?? 'InService') as 'InService',
      ProtectedFromScaleIn: m.protectedIn ?? false,
    })),
  } as AutoScalingGroup;
}

describe('refreshWaitWarnings', () => {
  const g = group([
    { id: 'i-1', protectedIn: true },
    { id: 'i-2', protectedIn: true },
    { id: 'i-3', state: 'Standby' },
    { id: 'i-4' },
  ]);
  const images = new Map([
    ['i-1', OLD],
    ['i-2', NEW],
    ['i-3', OLD],
    ['i-4', OLD],
  ]);

  it('counts protected and Standby instances AWS would wait an hour on, naming the setting that would not', () => {
    const w = refreshWaitWarnings('group us-east-1/web', g, images, NEW, { skipMatching: false });
    expect(w).toHaveLength(2);
    expect(w[0]).toContain('group us-east-1/web: 2 of 4 instances are protected from scale in');
    expect(w[0]).toContain('scale-in-protected-instances: Refresh');
    expect(w[0]).toContain('ScaleInProtectedInstances Wait');
    expect(w[1]).toContain('1 of 4 instances are in Standby');
    expect(w[1]).toContain('standby-instances: Terminate');
  });

  it('with skip matching counts only instances not on the AMI; Refresh and Terminate/Ignore silence it', () => {
    const w = refreshWaitWarnings('group us-east-1/web', g, images, NEW, { skipMatching: true });
    expect(w[0]).toContain('1 of 4 instances are protected from scale in');
    expect(
      refreshWaitWarnings('g', g, images, NEW, {
        skipMatching: true,
        scaleInProtectedInstances: 'Refresh',
        standbyInstances: 'Ignore',
      }),
    ).toEqual([]);
    expect(refreshWaitWarnings('g', group([{ id: 'i-4' }]), images, NEW, { skipMatching: false })).toEqual(
      [],
    );
  });

  it('Ignore leaves protected instances serving the old AMI: says the health wait will not prove the group', () => {
    const [w] = refreshWaitWarnings('g', g, images, NEW, {
      skipMatching: true,
      scaleInProtectedInstances: 'Ignore',
      standbyInstances: 'Terminate',
    });
    expect(w).toContain('1 of 4 instances are protected from scale in and stay on their AMI');
    expect(w).toContain('wait-healthy will not prove this one');
  });
});
