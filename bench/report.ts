// The shape every benchmark section returns, and how results become JSON and a markdown table.

export interface Figure {
  /** What is measured, e.g. "bake overhead beyond intrinsic time". */
  metric: string;
  ours: number | string;
  /** The peer measured in the same run (Packer, a bash-style loop, bare node…). */
  peer?: number | string;
  peerName?: string;
  unit?: string;
  /** ours / peer when both are numbers and a ratio means something. */
  ratio?: number;
  /** The target from the issue, in words, e.g. "≤ 0.25 × Packer". */
  target?: string;
  /** Whether the target holds; undefined when there is no target. */
  met?: boolean;
  note?: string;
}

export interface Section {
  name: string;
  figures: Figure[];
  /** Wall time of the section itself. */
  ms: number;
}

export interface BenchOptions {
  quick: boolean;
  /** Deterministic seed for fault injection and cancellation moments. */
  seed: number;
  log: (line: string) => void;
}

export const ratio = (ours: number, peer: number): number =>
  peer === 0 ? Number.NaN : Math.round((ours / peer) * 1000) / 1000;

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const fmt = (v: number | string | undefined, unit?: string) =>
  v === undefined
    ? ''
    : typeof v === 'number'
      ? `${Number.isInteger(v) ? v : v.toFixed(2)}${unit ? ` ${unit}` : ''}`
      : v;

export function markdown(sections: Section[], meta: { date: string; quick: boolean; node: string }): string {
  const lines = [
    `Measured ${meta.date} on this machine (node ${meta.node}${meta.quick ? ', --quick' : ''}). Ratios are ours ÷ peer from the same run.`,
    '',
  ];
  for (const s of sections) {
    lines.push(
      `#### ${s.name}`,
      '',
      '| metric | ours | peer | ratio | target | met |',
      '| --- | --- | --- | --- | --- | --- |',
    );
    for (const f of s.figures) {
      const peer =
        f.peer === undefined ? '' : `${fmt(f.peer, f.unit)}${f.peerName ? ` (${f.peerName})` : ''}`;
      const met = f.met === undefined ? '' : f.met ? 'yes' : '**no**';
      lines.push(
        `| ${f.metric}${f.note ? ` — ${f.note}` : ''} | ${fmt(f.ours, f.unit)} | ${peer} | ${f.ratio === undefined ? '' : f.ratio} | ${f.target ?? ''} | ${met} |`,
      );
    }
    lines.push('');
  }
  return lines.join('\n');
}
