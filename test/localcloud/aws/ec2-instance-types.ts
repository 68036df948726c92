// Instance types as far as the actions need them: the processor architecture of a type, served by
// DescribeInstanceTypes and enforced by RunInstances against the image's architecture.
import type { Image } from '../state.js';
import { paginate } from './ec2-filters.js';
import { AwsError, type AwsHandler } from './service.js';
import { onAnyResource, type IamMapping } from '../iam-context.js';

const INSTANCE_TYPE = /^([a-z][a-z0-9-]*)\.[a-z0-9-]+$/;

/** Graviton families carry a `g` after the generation digit (t4g, m7gd, c6gn, im4gn); a1 is arm too. */
const ARM_FAMILY = /^(a1|[a-z]+\d+[a-z]*g[a-z]*)$/;

/** The architectures an instance type runs, or undefined for a malformed type name. */
export function architecturesOf(instanceType: string): string[] | undefined {
  const family = INSTANCE_TYPE.exec(instanceType)?.[1];
  if (!family) return undefined;
  if (family.startsWith('mac')) return family.includes('-m') ? ['arm64_mac'] : ['x86_64_mac'];
  if (ARM_FAMILY.test(family)) return ['arm64'];
  // Older x86 families also run 32-bit images, as AWS lists them.
  return /^(t2|m1|m3|c1|c3)$/.test(family) ? ['i386', 'x86_64'] : ['x86_64'];
}

/**
 * RunInstances refuses an image whose architecture the instance type cannot run, with AWS's
 * wording (InvalidParameterValue).
 */
export function checkArchitecture(image: Image, instanceType: string): void {
  const supported = architecturesOf(instanceType);
  if (!supported || supported.includes(image.architecture)) return;
  throw new AwsError(
    'InvalidParameterValue',
    `The architecture '${supported.at(-1)}' of the specified instance type does not match the architecture ` +
      `'${image.architecture}' of the specified AMI. Specify an instance type and an AMI that have matching ` +
      `architectures, and try again. You can use 'describe-instance-types' or 'describe-images' to discover ` +
      'the architecture of the instance type or AMI.',
  );
}

interface DescribeInstanceTypesParams {
  InstanceTypes?: string[];
  Filters?: { Name?: string; Values?: string[] }[];
  MaxResults?: number;
  NextToken?: string;
}

/** The types a region lists when none are named: a small fixed catalogue of common ones. */
const CATALOGUE = [
  't3.micro',
  't3.small',
  't3.medium',
  't3a.micro',
  't4g.micro',
  't4g.small',
  't4g.medium',
  'm5.large',
  'm6i.large',
  'm6g.large',
  'm7g.large',
  'c6g.large',
  'c6i.large',
  'r6g.large',
];

const describeInstanceTypes: AwsHandler = (req) => {
  const p = req.params as DescribeInstanceTypesParams;
  const named = p.InstanceTypes ?? [];
  const unknown = named.filter((t) => !architecturesOf(t));
  if (unknown.length)
    throw new AwsError(
      'InvalidInstanceType',
      `The following supplied instance types do not exist: [${unknown.join(', ')}]`,
    );
  let types = named.length ? [...new Set(named)] : CATALOGUE;
  for (const f of p.Filters ?? []) {
    if (f.Name !== 'processor-info.supported-architecture')
      throw new AwsError('InvalidParameterValue', `The filter '${f.Name ?? ''}' is invalid`);
    types = types.filter((t) => architecturesOf(t)!.some((a) => f.Values?.includes(a)));
  }
  const { page, NextToken } = paginate(types, p.MaxResults, p.NextToken);
  return {
    InstanceTypes: page.map((t) => ({
      InstanceType: t,
      CurrentGeneration: true,
      ProcessorInfo: { SupportedArchitectures: architecturesOf(t) },
    })),
    NextToken,
  };
};

export const instanceTypeHandlers: Record<string, AwsHandler> = {
  DescribeInstanceTypes: describeInstanceTypes,
};

export const instanceTypeIam: Record<string, IamMapping> = { DescribeInstanceTypes: onAnyResource };
