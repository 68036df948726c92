// bake-ami's inputs for how the native engine's builder runs (spot); inputs.ts spreads them in.
import { boolean } from '../../core/input-fields.js';
import type { Inputs } from '../../core/inputs.js';

export const builderInputs = {
  spot: boolean({
    description:
      'Run the builder on Spot (engine: native): a persistent request that stops rather than terminates when interrupted, cancelled before the builder is terminated. With no Spot capacity (InsufficientInstanceCapacity, SpotMaxPriceTooLow, …) the builder is launched On-Demand instead, said in the log. The account needs the Spot service-linked role (AWSServiceRoleForEC2Spot).',
    default: 'false',
  }),
};

/** The checks no single field can make. */
export function checkBuilderInputs(
  v: Inputs<typeof builderInputs> & { engine: string },
  problem: (message: string) => void,
): void {
  if (v.spot && v.engine === 'packer')
    problem(
      'spot: needs engine: native; with Packer, set spot_price / spot_instance_types in packer-template',
    );
}
