// The AMI to roll out in a region: a literal id or an SSM parameter, checked to exist and be available.
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { ActionFailure, withContext } from '../core/errors.js';
import { AMI_ID } from '../core/input-fields.js';
import type { ActionContext } from '../core/context.js';
import { hasCode } from '../aws/errors.js';
import { describeImage } from '../aws/images.js';
import type { AmiSource } from './options.js';

/** Reads an SSM parameter (`name`, `name:label`, `name:version`) that must hold an AMI id. */
export async function readAmiParameter(
  ctx: ActionContext,
  region: string,
  selector: string,
  what: string,
): Promise<string> {
  try {
    const out = await ctx.clients
      .ssm(region)
      .send(new GetParameterCommand({ Name: selector }), { abortSignal: ctx.signal });
    const value = out.Parameter?.Value?.trim() ?? '';
    if (!AMI_ID.test(value))
      throw new ActionFailure(
        `${what} ${selector} in ${region} holds ${JSON.stringify(value)}, not an AMI id.`,
      );
    return value;
  } catch (err) {
    if (hasCode(err, 'ParameterNotFound'))
      throw new ActionFailure(`${what} ${selector} does not exist in ${region}.`, { cause: err });
    if (hasCode(err, 'ParameterVersionNotFound', 'ParameterVersionLabelNotFound'))
      throw new ActionFailure(`${what} ${selector}: no such version or label in ${region}.`, { cause: err });
    throw err instanceof ActionFailure ? err : withContext(`reading ${what} ${selector} in ${region}`, err);
  }
}

/** The AMI to roll out in one region, checked to exist and be available there. */
export async function resolveAmi(ctx: ActionContext, region: string, source: AmiSource): Promise<string> {
  const id =
    'id' in source ? source.id : await readAmiParameter(ctx, region, source.parameter, 'ami-parameter');
  const from = 'id' in source ? 'ami-id' : `ami-parameter ${source.parameter}`;
  const image = await describeImage(ctx.clients.ec2(region), region, id, ctx.signal);
  if (!image)
    throw new ActionFailure(
      `${from}: image ${id} does not exist in ${region} (or is not visible to this account).`,
    );
  if (image.State !== 'available')
    throw new ActionFailure(
      `${from}: image ${id} in ${region} is ${image.State ?? 'in an unknown state'}, not available.`,
    );
  return id;
}
