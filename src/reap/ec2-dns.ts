// EC2's own host names and the region they carry (EC2 user guide, "Amazon EC2 instance hostname
// types"): private ip-10-0-0-1.ec2.internal in us-east-1, ip-10-0-0-1.<region>.compute.internal
// elsewhere (or i-<id> for resource names); public ec2-203-0-113-1.compute-1.amazonaws.com in
// us-east-1, ec2-….<region>.compute.amazonaws.com(.cn) elsewhere. Nothing else counts: a name of
// one's own that merely ends like these names no region.
const OCTET = '(?:25[0-5]|2[0-4]\\d|1?\\d?\\d)';
const DASHED_IP = `${OCTET}(?:-${OCTET}){3}`;
const INSTANCE_ID = 'i-[0-9a-f]{8}(?:[0-9a-f]{9})?';
const REGION = '[a-z]{2,4}(?:-[a-z]+)+-\\d{1,2}';

const PRIVATE = new RegExp(
  `^(?:ip-${DASHED_IP}|${INSTANCE_ID})\\.(?:ec2|(?<region>${REGION})\\.compute)\\.internal$`,
);
const PUBLIC = new RegExp(
  `^ec2-${DASHED_IP}\\.(?:compute-1\\.amazonaws\\.com|(?<region>${REGION})\\.compute\\.amazonaws\\.com(?:\\.cn)?)$`,
);

/** us-east-1's names spell no region: ec2.internal and compute-1. */
const US_EAST_1 = 'us-east-1';

/** A host name without the root's trailing dot, lower case. */
export function normalHost(host: string): string {
  return host.toLowerCase().replace(/\.$/, '');
}

/** True for EC2's private DNS names (IP or resource name), the values the private-dns-name filter takes. */
export function isEc2PrivateDns(host: string): boolean {
  return PRIVATE.test(normalHost(host));
}

/** The region an EC2 host name (private or public) carries, or undefined for any other host. */
export function regionOfEc2Host(host: string): string | undefined {
  const h = normalHost(host);
  const m = PRIVATE.exec(h) ?? PUBLIC.exec(h);
  if (!m) return undefined;
  return m.groups?.region ?? US_EAST_1;
}
