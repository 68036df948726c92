// Reads Packer's -machine-readable lines ("timestamp,target,type,data...") and the AMIs its artifact names.

/** Commas inside data are written as %!(PACKER_COMMA), newlines as a literal "\n". */

export interface MachineLine {
  target: string;
  type: string;
  data: string[];
}

const unescape = (s: string) =>
  s
    .replace(/%!\(PACKER_COMMA\)/g, ',')
    .replace(/\\n/g, '\n')
    .replace(/\\r/g, '');

export function parseMachineLine(line: string): MachineLine | undefined {
  const parts = line.split(',');
  if (parts.length < 3 || !/^\d+$/.test(parts[0] ?? '')) return undefined;
  return { target: parts[1] ?? '', type: parts[2] ?? '', data: parts.slice(3).map(unescape) };
}

/** What to print for a line: the ui messages a person would have seen; undefined for the rest. */
export function displayText(m: MachineLine): string | undefined {
  if (m.type === 'ui' && m.data.length >= 2) return m.data.slice(1).join(',');
  return undefined;
}

/** `artifact,<n>,id,<region>:<ami>[,<region>:<ami>…]` → region → AMI id. */
export function artifactAmis(m: MachineLine): Record<string, string> | undefined {
  if (m.type !== 'artifact' || m.data[1] !== 'id') return undefined;
  const out: Record<string, string> = {};
  for (const pair of m.data.slice(2).join(',').split(',')) {
    const match = /^\s*([a-z0-9-]+):(ami-[0-9a-f]+)\s*$/.exec(pair);
    if (match) out[match[1]!] = match[2]!;
  }
  return Object.keys(out).length ? out : undefined;
}
