// Which EC2 instance a deployment target stands for: the instance id in its name (tentacles
// registered under their instance id), or the private address in its tentacle URI.
import type { OctopusMachine } from '../octopus/resources.js';

export type MatchBy = 'instance-id' | 'private-ip' | 'private-dns';

export type Mapping = { key: string } | { reason: string };

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

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
      : { reason: `name does not contain an instance id matching ${idPattern.source}` };
  }
  const { host, reason } = tentacleHost(m);
  if (!host) return { reason: reason ?? 'has no tentacle address' };
  if (matchBy === 'private-ip')
    return IPV4.test(host) ? { key: host } : { reason: `tentacle host ${host} is not an IPv4 address` };
  return /^ip-[0-9-]+\./.test(host) || host.endsWith('.internal')
    ? { key: host }
    : { reason: `tentacle host ${host} is not an EC2 private DNS name` };
}
