// EBS performance settings of a launch's block device: which volume types take Iops and Throughput,
// and in what ranges (EbsBlockDevice in the EC2 API reference).
import { AwsError } from './service.js';

/**
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_EbsBlockDevice.html — Iops: "gp3:
 * 3,000 - 16,000 IOPS · io1: 100 - 64,000 IOPS · io2: 100 - 256,000 IOPS … This parameter is
 * required for io1 and io2 volumes. The default for gp3 volumes is 3,000 IOPS."; Throughput: "This
 * parameter is valid only for gp3 volumes. Valid Range: Minimum value of 125. Maximum value of 1000."
 * The error codes are docs-silent: a wrong combination is InvalidParameterCombination, a value out
 * of range InvalidParameterValue.
 */
const IOPS: Record<string, [number, number]> = {
  gp3: [3000, 16_000],
  io1: [100, 64_000],
  io2: [100, 256_000],
};
const THROUGHPUT: [number, number] = [125, 1000];

export interface EbsPerformance {
  volumeType: string;
  iops?: number;
  throughput?: number;
}

/** The volume's type, IOPS and throughput as EC2 sets them, or the refusal EC2 answers. */
export function ebsPerformance(
  ebs: { VolumeType?: string; Iops?: number; Throughput?: number } | undefined,
  fromImage: { VolumeType?: string; Iops?: number; Throughput?: number } | undefined,
): EbsPerformance {
  const volumeType = ebs?.VolumeType ?? fromImage?.VolumeType ?? 'gp3';
  const sameType = !ebs?.VolumeType || ebs.VolumeType === fromImage?.VolumeType;
  const iops = ebs?.Iops ?? (sameType ? fromImage?.Iops : undefined);
  const throughput = ebs?.Throughput ?? (sameType ? fromImage?.Throughput : undefined);
  const range = IOPS[volumeType];
  if (iops !== undefined && !range)
    throw new AwsError(
      'InvalidParameterCombination',
      `The parameter iops is not supported for ${volumeType} volumes.`,
    );
  if (iops === undefined && (volumeType === 'io1' || volumeType === 'io2'))
    throw new AwsError(
      'InvalidParameterCombination',
      `The parameter iops must be specified for ${volumeType} volumes.`,
    );
  if (iops !== undefined && range && (iops < range[0] || iops > range[1]))
    throw new AwsError(
      'InvalidParameterValue',
      `Volume iops of ${iops} is out of range for ${volumeType} (${range[0]}-${range[1]}).`,
    );
  if (throughput !== undefined && volumeType !== 'gp3')
    throw new AwsError(
      'InvalidParameterCombination',
      `The parameter throughput is not supported for ${volumeType} volumes.`,
    );
  if (throughput !== undefined && (throughput < THROUGHPUT[0] || throughput > THROUGHPUT[1]))
    throw new AwsError(
      'InvalidParameterValue',
      `Volume throughput of ${throughput} is out of range (${THROUGHPUT[0]}-${THROUGHPUT[1]}).`,
    );
  // gp3's defaults (3,000 IOPS, 125 MiB/s) are left unrecorded, as before this module.
  return {
    volumeType,
    ...(iops !== undefined ? { iops } : {}),
    ...(throughput !== undefined ? { throughput } : {}),
  };
}
