// NextToken/MaxRecords paging shared by the Auto Scaling and ELBv2 Describe calls.
import { AwsError } from './service.js';

export interface Page<T> {
  items: T[];
  nextToken?: string;
}

/** Tokens carry the offset and a tag of the call, so a token from another call is rejected. */
export function paginate<T>(
  all: readonly T[],
  tag: string,
  maxRecords: number | undefined,
  nextToken: string | undefined,
  limits: { default: number; max: number },
  errorCode = 'InvalidNextToken',
): Page<T> {
  let offset = 0;
  if (nextToken !== undefined) {
    const [t, o] = Buffer.from(nextToken, 'base64url').toString('utf8').split(':');
    offset = Number(o);
    if (t !== tag || !Number.isInteger(offset) || offset < 0) {
      throw new AwsError(errorCode, 'The token is not valid.');
    }
  }
  const size = Math.min(maxRecords ?? limits.default, limits.max);
  const items = all.slice(offset, offset + size);
  const end = offset + items.length;
  return end < all.length
    ? { items, nextToken: Buffer.from(`${tag}:${end}`).toString('base64url') }
    : { items };
}
