// The root volume's EBS performance settings (volume-type, volume-iops, volume-throughput) as the
// builder's launch request and the fingerprint take them.
import type { EbsBlockDevice } from '@aws-sdk/client-ec2';

export type VolumeType = 'gp3' | 'gp2' | 'io1' | 'io2' | 'standard';

export interface RootVolumeSettings {
  volumeType?: VolumeType;
  volumeIops?: number;
  volumeThroughput?: number;
}

/** What RunInstances' root block device mapping adds for them (empty when none is set). */
export const rootVolume = (
  o: RootVolumeSettings,
): Pick<EbsBlockDevice, 'VolumeType' | 'Iops' | 'Throughput'> => ({
  ...(o.volumeType ? { VolumeType: o.volumeType } : {}),
  ...(o.volumeIops !== undefined ? { Iops: o.volumeIops } : {}),
  ...(o.volumeThroughput !== undefined ? { Throughput: o.volumeThroughput } : {}),
});

/**
 * The image-changing settings of issue 28 for the fingerprint: only those set, so an image baked
 * without them keeps the fingerprint it had (and stays reusable).
 */
export const imageSettingsFingerprint = (o: RootVolumeSettings & { imdsSupport?: string }) => ({
  ...rootVolume(o),
  ...(o.imdsSupport ? { imdsSupport: o.imdsSupport } : {}),
});
