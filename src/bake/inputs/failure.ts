// bake-ami's inputs for what a failed build leaves for debugging; inputs.ts spreads them in.
import { choice, duration } from '../../core/input-fields.js';
import type { Inputs } from '../../core/inputs.js';

export const failureInputs = {
  'on-failure': choice(['cleanup', 'keep'] as const, {
    description:
      "cleanup removes everything a failed bake made. keep stops the builder and keeps it for debugging (engine: native), tagged golden-ami:kept with golden-ami:expires-at keep-builder-for ahead, after which a later bake's janitor terminates it; its id is in the failure line. Images are removed either way, and a cancelled bake leaves nothing.",
    default: 'cleanup',
  }),
  'keep-builder-for': duration({
    description:
      'With on-failure: keep, how long the kept builder lives before the janitor may terminate it: a duration with its unit such as 24h or 3d, 1h to 7d (a bare number is refused: it would be seconds).',
    default: '24h',
    whole: false,
    min: 3600,
    max: 604_800,
    formerly: { name: 'keep-hours', unit: 'h' },
  }),
};

/** The checks no single field can make. */
export function checkFailureInputs(
  v: Inputs<typeof failureInputs> & { engine: string },
  problem: (message: string) => void,
  isSet: (name: string) => boolean,
): void {
  if (isSet('keep-builder-for') && v.onFailure !== 'keep')
    problem('keep-builder-for: applies only with on-failure: keep (a failed bake cleans up otherwise)');
  if (v.onFailure === 'keep' && v.engine === 'packer')
    problem(
      "on-failure: keep needs engine: native; Packer's builder is Packer's (packer build -on-error=abort)",
    );
}
