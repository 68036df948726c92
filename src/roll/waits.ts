// Instances an instance refresh waits on under AWS's defaults: scale-in protected and Standby ones.
// RefreshPreferences: "Wait (default): Amazon EC2 Auto Scaling waits one hour for you to remove
// scale-in protection" / "to return the instances to service. Otherwise, the instance refresh will fail."
import type { AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import type { RefreshPreferenceOptions } from './options.js';

type Member = NonNullable<AutoScalingGroup['Instances']>[number];

const isStandby = (i: Member) =>
  i.LifecycleState?.startsWith('Standby') || i.LifecycleState === 'EnteringStandby';

/**
 * One warning per kind of instance the refresh would wait an hour on (then fail), with the count
 * and the setting that would not wait. With skip matching, instances already on the AMI are left
 * alone, so only the others count.
 */
export function refreshWaitWarnings(
  where: string,
  group: AutoScalingGroup,
  images: ReadonlyMap<string, string>,
  amiId: string,
  p: Pick<RefreshPreferenceOptions, 'skipMatching' | 'scaleInProtectedInstances' | 'standbyInstances'>,
): string[] {
  const members = group.Instances ?? [];
  const replaced = members.filter((i) => !p.skipMatching || images.get(i.InstanceId ?? '') !== amiId);
  const out: string[] = [];
  const protectedOnes = replaced.filter((i) => i.ProtectedFromScaleIn && !isStandby(i)).length;
  const protectedMode = p.scaleInProtectedInstances ?? 'Wait';
  const ofAll = `${protectedOnes} of ${members.length} instances are protected from scale in`;
  // Ignore leaves them serving the old AMI: the health wait counts every InService instance.
  const stays = 'a group is proven healthy only when every InService instance runs the AMI';
  if (protectedOnes && protectedMode === 'Wait')
    out.push(
      `${where}: ${ofAll}; the refresh waits an hour for their protection to be removed, then fails ` +
        `(ScaleInProtectedInstances Wait, AWS's default). Set scale-in-protected-instances: Refresh to replace them ` +
        `(Ignore would leave them on their AMI, and ${stays}).`,
    );
  if (protectedOnes && protectedMode === 'Ignore')
    out.push(
      `${where}: ${ofAll} and stay on their AMI (scale-in-protected-instances: Ignore); ${stays}, so wait-healthy will not prove this one. ` +
        `Set scale-in-protected-instances: Refresh to replace them.`,
    );
  const standby = replaced.filter(isStandby).length;
  if (standby && (p.standbyInstances ?? 'Wait') === 'Wait')
    out.push(
      `${where}: ${standby} of ${members.length} instances are in Standby; the refresh waits an hour for them to return to service, then fails ` +
        `(StandbyInstances Wait, AWS's default). Set standby-instances: Terminate to replace them, or Ignore to leave them (on their AMI when they return).`,
    );
  return out;
}
