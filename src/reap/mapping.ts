// Which EC2 instance a deployment target stands for: the instance id in its name (tentacles
// registered under their instance id), or the private address in its tentacle URI.
import type { OctopusMachine } from '../octopus/resources.js';

export type MatchBy = 'instance-id' | 'private-ip' | 'private-dns';

export type Mapping = { key: string } | { reason: string };

const OCTET = '(25[0-5]|2[0-4]\\d|1?\\d?\\d)';
const IPV4 = new RegExp(`^${OCTET}(\\.${OCTET}){3}$`);
/**
 * EC2's private DNS names, and nothing else ending in .internal: "IP name" ip-10-0-0-1 or "resource
 * name" i-0123456789abcdef0, then .ec2.internal (us-east-1) or .<region>.compute.internal.
 */
const EC2_PRIVATE_DNS = new RegExp(
  `^(ip-${OCTET}(-${OCTET}){3}|i-[0-9a-f]{8}([0-9a-f]{9})?)\\.(ec2|[a-z]{2}(-[a-z]+)+-\\d{1,2}\\.compute)\\.internal$`,
);

/** The id pattern as a whole token: no letter or digit right before or after what it matched. */
export function tokenPattern(pattern: string): RegExp {
  return new RegExp(`(?<![A-Za-z0-9])(?:${pattern})(?![A-Za-z0-9])`);
}

function tentacleHost(m: OctopusMachine): { host?: string; reason?: string } {
  const uri = m.Endpoint?.Uri ?? m.Uri ?? '';
  if (!uri) return { reason: 'has no tentacle URI' };
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return { reason: `tentacle URI ${uri} is not a URL` };
  }
  // Polling tentacles connect in: their poll://<subscription>/ URI names no address.
  if (url.protocol === 'poll:') return { reason: 'is a polling tentacle (its URI has no address)' };
  return { host: url.hostname.toLowerCase() };
}

export function mapMachine(m: OctopusMachine, matchBy: MatchBy, idPattern: RegExp): Mapping {
  if (matchBy === 'instance-id') {
    const found = new RegExp(idPattern.source, idPattern.flags.replace('g', '')).exec(m.Name);
    return found
      ? { key: found[0] }
      : { reason: `name does not contain a whole-token instance id matching ${idPattern.source}` };
  }
  const { host, reason } = tentacleHost(m);
  if (!host) return { reason: reason ?? 'has no tentacle address' };
  if (matchBy === 'private-ip')
    return IPV4.test(host) ? { key: host } : { reason: `tentacle host ${host} is not an IPv4 address` };
  return EC2_PRIVATE_DNS.test(host)
    ? { key: host }
    : { reason: `tentacle host ${host} is not an EC2 private DNS name` };
}
