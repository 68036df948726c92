// bake-ami's inputs for the root volume's performance and the image's IMDS setting, with the EBS
// rules checked before any call; inputs.ts spreads them in.
import { choice, integer } from '../../core/input-fields.js';
import type { Inputs } from '../../core/inputs.js';

/**
 * EbsBlockDevice (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_EbsBlockDevice.html),
 * Iops: "gp3: 3,000 - 16,000 IOPS · io1: 100 - 64,000 IOPS · io2: 100 - 256,000 IOPS … This
 * parameter is required for io1 and io2 volumes."; Throughput: "This parameter is valid only for gp3
 * volumes. Valid Range: Minimum value of 125. Maximum value of 1000." The per-GiB and per-IOPS
 * ceilings are from the EBS volume types page
 * (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-volume-types.html).
 */
export const IOPS_RANGE: Record<string, { min: number; max: number; perGiB: number }> = {
  gp3: { min: 3000, max: 16_000, perGiB: 500 },
  io1: { min: 100, max: 64_000, perGiB: 50 },
  io2: { min: 100, max: 256_000, perGiB: 1000 },
};
export const THROUGHPUT_RANGE = { min: 125, max: 1000, perIops: 0.25 };
const GP3_BASELINE_IOPS = 3000;

export const volumeInputs = {
  // st1 and sc1 cannot be boot volumes, so they are not offered.
  'volume-type': choice(['gp3', 'gp2', 'io1', 'io2', 'standard'] as const, {
    description:
      "EBS type of the builder's root volume, which the AMI's block device mapping keeps (default: the source image's).",
  }),
  'volume-iops': integer({
    description:
      'Provisioned IOPS of the root volume: gp3 3000-16000 (at most 500 per GiB), io1 100-64000 (50 per GiB), io2 100-256000 (1000 per GiB); required for io1 and io2, not accepted for gp2 or standard.',
    min: 100,
    max: 256_000,
  }),
  'volume-throughput': integer({
    description:
      'Throughput of a gp3 root volume in MiB/s, 125-1000 and at most 0.25 per provisioned IOPS (3000 when volume-iops is not given).',
    min: 125,
    max: 1000,
  }),
  'imds-support': choice(['v2.0'] as const, {
    description:
      'v2.0: the AMI and every copy require IMDSv2 (ModifyImageAttribute ImdsSupport), so instances launched from them have HttpTokens required. AWS cannot undo this on an image.',
  }),
};

type VolumeInputs = Inputs<typeof volumeInputs> & { volumeSize?: number; engine: string };

/** The EBS combinations no single field can check. */
export function checkVolumeInputs(v: VolumeInputs, problem: (message: string) => void): void {
  const type = v.volumeType;
  const given = (['volume-type', 'volume-iops', 'volume-throughput'] as const).filter(
    (_, i) => [type, v.volumeIops, v.volumeThroughput][i] !== undefined,
  );
  if (v.engine === 'packer' && given.length)
    problem(`${given.join(', ')}: not used with engine: packer; set the volume in packer-template`);
  if (v.volumeIops !== undefined) {
    const range = type ? IOPS_RANGE[type] : undefined;
    if (!type) problem('volume-iops: needs volume-type gp3, io1 or io2');
    else if (!range) problem(`volume-iops: not accepted for volume-type ${type}; only gp3, io1 and io2`);
    else if (v.volumeIops < range.min || v.volumeIops > range.max)
      problem(
        `volume-iops: ${v.volumeIops} is out of range for ${type}; accepted: ${range.min} to ${range.max}`,
      );
    else if (v.volumeSize !== undefined && v.volumeIops > v.volumeSize * range.perGiB)
      problem(
        `volume-iops: ${v.volumeIops} is more than ${range.perGiB} per GiB of volume-size ${v.volumeSize} (${v.volumeSize * range.perGiB}) for ${type}`,
      );
  } else if (type === 'io1' || type === 'io2') problem(`volume-iops: is required with volume-type ${type}`);
  if (v.volumeThroughput !== undefined) {
    if (type !== 'gp3') problem('volume-throughput: needs volume-type gp3');
    else {
      const iops = v.volumeIops ?? GP3_BASELINE_IOPS;
      if (v.volumeThroughput > iops * THROUGHPUT_RANGE.perIops)
        problem(
          `volume-throughput: ${v.volumeThroughput} MiB/s is more than ${THROUGHPUT_RANGE.perIops} per IOPS of ${iops} IOPS (${iops * THROUGHPUT_RANGE.perIops})`,
        );
    }
  }
}
