import { boolean, choice, integer, list, string } from '../core/input-fields.js';
import { defineAction, type Inputs } from '../core/inputs.js';
import { octopusUrlProblem } from '../octopus/client.js';
import { INSTANCE_STATES } from './instances.js';
import { regionInput, regionList } from '../aws/regions.js';

// Live instances are never orphans, whatever the input says.
const REAPABLE = INSTANCE_STATES.filter((s) => s !== 'running' && s !== 'pending');

export const reapSpec = defineAction({
  name: 'reap-octopus-orphans',
  inputs: {
    'octopus-url': string({
      env: ['OCTOPUS_URL'],
      required: true,
      pattern: /^https?:\/\/\S+$/,
      accepted: 'the Octopus server URL (https://octopus.example.com)',
    }),
    'octopus-api-key': string({ env: ['OCTOPUS_API_KEY'], secret: true }),
    'octopus-access-token': string({ env: ['OCTOPUS_ACCESS_TOKEN'], secret: true }),
    space: string({ default: 'Default', maxLength: 200 }),
    environments: list({ required: true, unique: true, accepted: 'Octopus environment names' }),
    roles: list({ unique: true }),
    // Matched as a whole token (see mapping.ts): EC2 ids are i- and 8 or 17 hex digits.
    'instance-id-pattern': string({ default: 'i-[0-9a-f]{8}([0-9a-f]{9})?', maxLength: 200 }),
    'match-by': choice(['instance-id', 'private-ip', 'private-dns'] as const, { default: 'instance-id' }),
    regions: regionList({ maxItems: 30 }),
    region: regionInput(),
    'reap-states': list({
      default: 'terminated,shutting-down,not-found',
      unique: true,
      pattern: new RegExp(`^(${REAPABLE.join('|')})$`),
      accepted: `${REAPABLE.join(', ')} (running and pending instances are never reaped)`,
    }),
    'max-reap': integer({ default: '10', min: 0, max: 100_000 }),
    'max-reap-percent': integer({ default: '50', min: 0, max: 100 }),
    'dry-run': boolean({ default: 'false' }),
  },
  outputs: ['reaped', 'reaped-count', 'kept-count', 'orphans'],
  rules: [{ atLeastOne: ['octopus-api-key', 'octopus-access-token'] }],
  check(v, problem) {
    const url = octopusUrlProblem(v.octopusUrl);
    if (url) problem(`octopus-url: ${url}`);
    try {
      new RegExp(v.instanceIdPattern);
    } catch (err) {
      problem(`instance-id-pattern: is not a regular expression (${(err as Error).message})`);
    }
    if (!v.reapStates.length) problem('reap-states: names no state; accepted: ' + REAPABLE.join(', '));
  },
});

export type ReapInputs = Inputs<typeof reapSpec.inputs>;
