// The retire-amis action's inputs and outputs.
import { boolean, integer, list } from '../core/input-fields.js';
import { defineAction, type Inputs } from '../core/inputs.js';
import { regionInput, regionList } from '../aws/regions.js';

// Bake names as bake-ami writes them into the golden-ami:name tag.
const NAME = /^[A-Za-z0-9()[\] ./\-'@_]{1,128}$/;
const PARAMETER_NAME = /^(\/[A-Za-z0-9_.-]+)+$|^[A-Za-z0-9_.-]+$/;

export const retireSpec = defineAction({
  name: 'retire-amis',
  inputs: {
    names: list({
      required: true,
      unique: true,
      pattern: NAME,
      maxItems: 50,
      accepted: 'bake names (the name input of bake-ami, kept in the golden-ami:name tag)',
    }),
    regions: regionList({ maxItems: 30 }),
    region: regionInput(),
    'keep-count': integer({ default: '3', min: 1, max: 1000 }),
    'keep-days': integer({ default: '14', min: 0, max: 3650 }),
    'grace-days': integer({ default: '7', min: 1, max: 3650 }),
    parameters: list({
      unique: true,
      pattern: PARAMETER_NAME,
      maxItems: 50,
      accepted: 'SSM parameter names such as /golden-ami/web/production',
    }),
    'keep-parameter-versions': integer({ default: '3', min: 1, max: 100 }),
    'launch-template-versions': integer({ default: '10000', min: 1, max: 10000 }),
    'include-shared': boolean({ default: 'false' }),
    'max-retire': integer({ default: '10', min: 0, max: 100_000 }),
    'max-retire-percent': integer({ default: '50', min: 0, max: 100 }),
    'dry-run': boolean({ default: 'false' }),
  },
  outputs: ['retired', 'disabled', 'kept-count'],
});

export type RetireInputs = Inputs<typeof retireSpec.inputs>;
