import type { World } from '../state.js';
import { commandHandlers, tickCommands } from './ssm-commands.js';
import { parameterHandlers, tickParameterValidation } from './ssm-parameters.js';
import type { AwsService } from './service.js';

/** SSM (JSON 1.1, `AmazonSSM.<Operation>`): Parameter Store and Run Command. */
export const ssmService: AwsService = {
  signingName: 'ssm',
  protocol: 'json',
  model: 'ssm',
  handlers: { ...parameterHandlers, ...commandHandlers },
  tick(world: World, now: number) {
    for (const region of world.regions()) {
      tickParameterValidation(region, now);
      tickCommands(region, now);
    }
  },
};
