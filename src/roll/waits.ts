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
  if (protectedOnes && (p.scaleInProtectedInstances ?? 'Wait') === 'Wait')
    out.push(
      `${where}: ${protectedOnes} of ${members.length} instances are protected from scale in; the refresh waits an hour for their protection to be removed, then fails ` +
        `(ScaleInProtectedInstances Wait, AWS's default). Set scale-in-protected-instances: Refresh to replace them, or Ignore to leave them as they are.`,
    );
  const standby = replaced.filter(isStandby).length;
  if (standby && (p.standbyInstances ?? 'Wait') === 'Wait')
    out.push(
      `${where}: ${standby} of ${members.length} instances are in Standby; the refresh waits an hour for them to return to service, then fails ` +
        `(StandbyInstances Wait, AWS's default). Set standby-instances: Terminate to replace them, or Ignore to leave them as they are.`,
    );
  return out;
}
