// The shape of an AWS region name: one definition for every input and record that carries one.
import { list, string } from '../core/input-fields.js';

/**
 * Partition prefix, an optional GovCloud/isolated qualifier, a direction and one digit —
 * us-east-1, us-gov-west-1, cn-northwest-1, eu-isoe-west-1, ap-southeast-7, mx-central-1. A typo
 * (`us-est-1`) or an impossible number (`us-east-99`) fails at input time, before any AWS call,
 * instead of surfacing later as "source-ami does not exist".
 */
export const REGION =
  /^[a-z]{2}(-gov|-iso[a-z]?)?-(north|south|east|west|central|northeast|northwest|southeast|southwest)-\d$/;

/** The `region` input every action has: AWS_REGION / AWS_DEFAULT_REGION when not given. */
export const regionInput = () =>
  string({
    env: ['AWS_REGION', 'AWS_DEFAULT_REGION'],
    required: true,
    pattern: REGION,
    accepted: 'an AWS region name such as us-east-1',
  });

/** A list of region names (`regions`, `copy-to-regions`), one per line or comma-separated. */
export const regionList = (bounds: { maxItems?: number } = {}) =>
  list({ unique: true, pattern: REGION, accepted: 'AWS region names such as us-east-1', ...bounds });
