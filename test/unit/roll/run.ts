// What every roll test file needs: roll-asg's options from action inputs, and a roll's failure.
import { parseInputs } from '../../../src/core/inputs.js';
import { rollSpec } from '../../../src/roll/inputs.js';
import { rollOptionsFrom, type RollOptions } from '../../../src/roll/options.js';

/** Options for a roll in us-east-1 polling every second, consent by /golden-ami/web, `inputs` over them. */
export function options(inputs: Record<string, string>): RollOptions {
  const all: Record<string, string> = {
    region: 'us-east-1',
    'poll-interval': '1',
    'consent-parameter': '/golden-ami/web',
    ...inputs,
  };
  return rollOptionsFrom(parseInputs(rollSpec, { input: (n) => all[n] ?? '', env: () => undefined }));
}

export async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the roll to fail');
}
