// The regions enabled for the account: EC2 DescribeRegions without AllRegions lists exactly those
// ("Describes the Regions that are enabled for your account"), opt-in regions only once opted in.
import { DescribeRegionsCommand, type EC2Client } from '@aws-sdk/client-ec2';

/** Names of the regions enabled for the account, sorted (AWS gives them in no set order). */
export async function enabledRegions(client: EC2Client, signal?: AbortSignal): Promise<string[]> {
  const out = await client.send(new DescribeRegionsCommand({}), { abortSignal: signal });
  const names = (out.Regions ?? []).flatMap((r) => (r.RegionName ? [r.RegionName] : []));
  if (!names.length) throw new Error('EC2 DescribeRegions listed no region enabled for the account');
  return [...new Set(names)].sort();
}
