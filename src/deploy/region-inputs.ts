// deploy-ami across regions: the `amis` input (bake-ami's `amis` output as is, or `region=ami-…`
// lines), the `region-waves` input, and each region's deployment as the one-region code runs it.
import { AMI_ID, type Field, InputProblem, REGION, splitList } from '../core/input-fields.js';

/** Region -> AMI id, in the order given (the default wave, and the order regions are planned). */
export type Amis = Record<string, string>;

const AMIS_ACCEPTED =
  'bake-ami\'s `amis` output (a JSON object region -> AMI id, such as {"us-east-1":"ami-0123456789abcdef0"}) or `region=ami-…` lines';

function amiPairs(raw: string): [string, unknown][] {
  if (raw.trimStart().startsWith('{')) {
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      throw new InputProblem('is not valid JSON');
    }
    if (!value || typeof value !== 'object' || Array.isArray(value))
      throw new InputProblem('is not a JSON object');
    // JSON.parse keeps the last of a key given twice: the lines' rule holds for JSON too.
    const twice = repeatedKey(raw);
    if (twice !== undefined) throw new InputProblem(`${twice} is given twice`);
    return Object.entries(value as Record<string, unknown>);
  }
  return splitList(raw).map((item) => {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new InputProblem(`${JSON.stringify(item)} is not a region=ami-… pair`);
    return [item.slice(0, eq).trim(), item.slice(eq + 1).trim()];
  });
}

/** The first key of the top-level JSON object (valid JSON) that appears twice, if any. */
export function repeatedKey(json: string): string | undefined {
  const seen = new Set<string>();
  let depth = 0;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
    else if (c === '"') {
      let end = i + 1;
      while (json[end] !== '"') end += json[end] === '\\' ? 2 : 1;
      const isKey = depth === 1 && /^\s*:/.test(json.slice(end + 1));
      if (isKey) {
        const key = JSON.parse(json.slice(i, end + 1)) as string;
        if (seen.has(key)) return key;
        seen.add(key);
      }
      i = end;
    }
  }
  return undefined;
}

/** `amis`: every key a region, every value an AMI id, no region twice. */
export function amisField(description: string): Field<Amis | undefined> {
  return {
    kind: 'amis',
    description,
    required: false,
    empty: undefined,
    parse(raw) {
      try {
        const out: Amis = {};
        const pairs = amiPairs(raw);
        if (!pairs.length) throw new InputProblem('names no region');
        for (const [region, ami] of pairs) {
          if (!REGION.test(region)) throw new InputProblem(`${JSON.stringify(region)} is not a region`);
          if (typeof ami !== 'string' || !AMI_ID.test(ami))
            throw new InputProblem(`${region}: ${JSON.stringify(ami)} is not an AMI id`);
          if (region in out) throw new InputProblem(`${region} is given twice`);
          out[region] = ami;
        }
        return out;
      } catch (err) {
        if (err instanceof InputProblem) throw new InputProblem(`${err.message}; expected ${AMIS_ACCEPTED}`);
        throw err;
      }
    },
  };
}

/** `region-waves`: one wave per line (or `;`), the regions of a wave comma-separated. */
export function regionWavesField(description: string): Field<string[][]> {
  return {
    kind: 'region-waves',
    description,
    required: false,
    empty: [],
    parse(raw) {
      const waves = raw
        .split(/[\n;]/)
        .map((line) => splitList(line))
        .filter((w) => w.length);
      const bad = waves.flat().filter((r) => !REGION.test(r));
      if (bad.length)
        throw new InputProblem(
          `${bad.map((b) => JSON.stringify(b)).join(', ')} ${bad.length === 1 ? 'is' : 'are'} not a region; expected one wave per line (or separated by ;), its regions comma-separated, such as "us-east-1; eu-west-1,ap-southeast-2"`,
        );
      return waves;
    },
  };
}

/** What region-waves must say about amis: each region of amis in exactly one wave, and no other. */
export function wavesProblems(amis: Amis, waves: readonly (readonly string[])[]): string[] {
  if (!waves.length) return [];
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const r of waves.flat()) {
    if (!(r in amis))
      problems.push(`region-waves: ${r} is not a region of amis (it has ${Object.keys(amis).join(', ')})`);
    else if (seen.has(r)) problems.push(`region-waves: ${r} is in more than one wave`);
    seen.add(r);
  }
  const missing = Object.keys(amis).filter((r) => !seen.has(r));
  if (missing.length)
    problems.push(
      `region-waves: ${missing.join(', ')} of amis ${missing.length === 1 ? 'is' : 'are'} in no wave; name every region once`,
    );
  return problems;
}

/** The waves to deploy in: as given, else every region at once (one wave, in parallel). */
export function wavesOf(amis: Amis, waves: readonly string[][]): string[][] {
  return waves.length ? waves.map((w) => [...w]) : [Object.keys(amis)];
}
