// The promote capability as other actions (deploy-ami) use it.
export { promote, PromotionError } from './promote.js';
export { renderPromoteSummary } from './summary.js';
export { promoteOptions, promoteOutputs } from './options.js';
export { promoteSpec, type PromoteInputs } from './inputs.js';
export type {
  PromoteOptions,
  PromoteResult,
  PromoteTarget,
  RegionPromotion,
  RegionOutcome,
} from './types.js';
