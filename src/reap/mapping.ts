// Which EC2 instance a deployment target stands for: the instance id in its name (tentacles
// registered under their instance id), or the private address in its tentacle URI.
import type { OctopusMachine } from '../octopus/resources.js';
import { isEc2PrivateDns, normalHost, regionOfEc2Host } from './ec2-dns.js';

export type MatchBy = 'instance-id' | 'private-ip' | 'private-dns';

/**
 * The instance's key (id, private IP or private DNS name) and, when the target's tentacle host is
 * one of EC2's own names, the region that name carries: the one place its instance can be.
 */
export type Mapping = { key: string; region?: string } | { reason: string };

const OCTET = '(25[0-5]|2[0-4]\\d|1?\\d?\\d)';
const IPV4 = new RegExp(`^${OCTET}(\\.${OCTET}){3}$`);

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
  return { host: normalHost(url.hostname) };
}

export function mapMachine(m: OctopusMachine, matchBy: MatchBy, idPattern: RegExp): Mapping {
  const { host, reason } = tentacleHost(m);
  const named = host ? regionOfEc2Host(host) : undefined;
  const at = named ? { region: named } : {};
  if (matchBy === 'instance-id') {
    const found = new RegExp(idPattern.source, idPattern.flags.replace('g', '')).exec(m.Name);
    return found
      ? { key: found[0], ...at }
      : { reason: `name does not contain a whole-token instance id matching ${idPattern.source}` };
  }
  if (!host) return { reason: reason ?? 'has no tentacle address' };
  if (matchBy === 'private-ip')
    return IPV4.test(host) ? { key: host } : { reason: `tentacle host ${host} is not an IPv4 address` };
  return isEc2PrivateDns(host)
    ? { key: host, ...at }
    : { reason: `tentacle host ${host} is not an EC2 private DNS name` };
}
