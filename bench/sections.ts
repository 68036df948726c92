// Every benchmark section, in the order `npm run bench` runs them.
import { badInputs } from './bad-inputs.js';
import { bake } from './bake.js';
import { cancel } from './cancel.js';
import { chaos } from './chaos.js';
import { coldStart } from './cold-start.js';
import { interruptions } from './interruptions.js';
import type { BenchOptions, Section } from './report.js';
import { leastPrivilege } from './least-privilege.js';
import { reap } from './reap.js';
import { regions } from './regions.js';
import { retire } from './retire.js';
import { roll, rollEvents } from './roll.js';
import { secrets } from './secrets.js';

export const sections: Record<string, (opts: BenchOptions) => Promise<Omit<Section, 'ms'>>> = {
  'cold-start': coldStart,
  reap,
  retire,
  roll,
  'roll-events': rollEvents,
  regions,
  bake,
  'bad-inputs': badInputs,
  cancel,
  chaos,
  interruptions,
  'least-privilege': leastPrivilege,
  // Last: it searches what every section before it ran.
  secrets,
};
