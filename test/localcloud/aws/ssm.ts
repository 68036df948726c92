import type { World } from '../state.js';
import { commandHandlers, commandIam, tickCommands } from './ssm-commands.js';
import { parameterHandlers, parameterIam, tickParameterValidation } from './ssm-parameters.js';
import { operations, type AwsService } from './service.js';

/** SSM (JSON 1.1, `AmazonSSM.<Operation>`): Parameter Store and Run Command. */
export const ssmService: AwsService = {
  signingName: 'ssm',
  protocol: 'json',
  model: 'ssm',
  ...operations(
    { handlers: parameterHandlers, iam: parameterIam },
    { handlers: commandHandlers, iam: commandIam },
  ),
  tick(world: World, now: number) {
    for (const region of world.regions()) {
      tickParameterValidation(region, now);
      tickCommands(region, now);
    }
  },
};
