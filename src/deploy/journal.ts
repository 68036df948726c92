// The deploy journal: what the environment was before the run, and every change the run set out
// to make, saved before each change is sent: to files under RUNNER_TEMP (core/state-files.ts), as
// step state is passed to the post step in environment variables, and 500 groups' journal is over
// the 128 KiB Linux allows one. A put-back (the main step's, or the
// post step's after a cancel) works from it, so no ending leaves a change nobody knows about.
import type { LaunchSource } from '../roll/pin.js';
import type { GroupOutcome } from '../roll/result.js';

/** A group the run may change, as it was before. */
export interface GroupBefore {
  region: string;
  name: string;
  imageSource: 'launch-template' | 'ssm-parameter';
  /** The launch source exactly as the group had it (template ids, `$Latest`/`$Default`, overrides). */
  source: LaunchSource;
  /** The same with each floating version pinned to the number it resolved to: what a refresh back deploys. */
  pinned: LaunchSource;
  previousAmiId?: string;
}

/** A planned group's journal entry: its launch source before the run, as roll planned it. */
export const groupBefore = (g: GroupOutcome): GroupBefore => ({
  region: g.region,
  name: g.group,
  imageSource: g.imageSource,
  source: g.before.source,
  pinned: g.before.pinned,
  ...(g.previousAmiId ? { previousAmiId: g.previousAmiId } : {}),
});

/** The parameter and the environment's label before the run. */
export interface ParameterBefore {
  region: string;
  name: string;
  label: string;
  /** Newest version and its value; undefined when the parameter did not exist. */
  version?: number;
  value?: string;
  /** The version the label was on; undefined when it was on none. */
  labelVersion?: number;
}

/** One change, recorded before it is sent; the fields after `at` are filled in once AWS answers. */
export type Change =
  | { kind: 'version'; region: string; templateId: string; at: number; version?: number }
  | { kind: 'source'; region: string; group: string; at: number }
  | { kind: 'refresh'; region: string; group: string; at: number; refreshId?: string }
  | { kind: 'value'; region: string; name: string; at: number; version?: number }
  | { kind: 'label'; region: string; name: string; at: number; version?: number }
  | { kind: 'default'; region: string; templateId: string; at: number; previous?: number; version?: number }
  /** A refresh back the put-back started: its own, never stopped as the run's refresh. */
  | { kind: 'back'; region: string; group: string; at: number; refreshId: string };

export interface JournalData {
  v: 1;
  amiId: string;
  /** The AMI in each region, when it differs by region (roll-asg over copies). */
  amiIds?: Record<string, string>;
  environment: string;
  /** Epoch ms just before the first change: anything of ours in AWS was made after it. */
  startedAt: number;
  rollbackOnFailure: boolean;
  /** deploy-ami's parameter; roll-asg records none. */
  parameter?: ParameterBefore;
  groups: GroupBefore[];
  changes: Change[];
  /**
   * How the main step ended: healthy (nothing to put back), put back in full, or (roll-asg) ended
   * by itself, its refreshes left to the workflow. Absent: cancelled or killed, so post must look.
   */
  settled?: 'healthy' | 'put-back' | 'ended';
}

/** Saved names: the journal without its changes, and each change under its own numbered name. */
export const JOURNAL_STATE = 'deploy-journal';
const changeState = (i: number) => `deploy-change-${i}`;

/** With amis, each region's journal is saved under names of its own: `<region>-deploy-journal`, … */
export const regionState =
  (region: string) =>
  (name: string): string =>
    `${region}-${name}`;

type Saver = (name: string, value: string) => void;

/**
 * The journal of one run, saved through `save` (a file each, `stateFiles`) before every change is sent and
 * again when AWS answers. Each change is saved under its own name, so the state written stays
 * proportional to the run however many groups it rolls.
 */
export class Journal {
  data?: JournalData;
  /** True while the run's own changes are sent (not during the put-back). */
  recording = false;
  constructor(
    private readonly save: Saver = () => undefined,
    /** Called when a refresh has started (its id known) and when the run settles: the outputs are written at once. */
    private readonly onChange?: (data: JournalData) => void,
  ) {}

  begin(data: Omit<JournalData, 'v' | 'changes'>): void {
    this.data = { v: 1, ...data, changes: [] };
    this.saveBase();
  }

  /** Records a change about to be sent; returns it to be completed with AWS's answer. */
  intend(change: Change): Change {
    if (!this.data) return change;
    this.data.changes.push(change);
    this.save(changeState(this.data.changes.length - 1), JSON.stringify(change));
    return change;
  }

  complete<C extends Change>(change: C, fields: Partial<C>): void {
    Object.assign(change, fields);
    const i = this.data?.changes.indexOf(change) ?? -1;
    if (i < 0) return;
    this.save(changeState(i), JSON.stringify(change));
    if (change.kind === 'refresh' && 'refreshId' in fields) this.onChange?.(this.data!);
  }

  settle(how: NonNullable<JournalData['settled']>): void {
    if (!this.data) return;
    this.data.settled = how;
    this.saveBase();
    // Settled healthy, the outputs say so at once: what follows (deregistration protection, reaping)
    // changes nothing the status speaks of, and a kill there must not leave the new state `failed`.
    this.onChange?.(this.data);
  }

  private saveBase(): void {
    if (!this.data) return;
    const { changes: _changes, ...base } = this.data;
    this.save(JOURNAL_STATE, JSON.stringify(base));
  }
}

const parse = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads what the main step saved; undefined when it saved nothing (it changed nothing) or the text
 * is not a journal. Its claims are checked against AWS and the inputs before anything is changed.
 */
export function readJournal(get: (name: string) => string): JournalData | undefined {
  const parsed = parse(get(JOURNAL_STATE) || 'null');
  if (!isObject(parsed) || parsed.v !== 1) return undefined;
  const changes: unknown[] = [];
  for (let i = 0, text = get(changeState(0)); text; text = get(changeState(++i))) changes.push(parse(text));
  const p = { ...parsed, changes } as unknown as JournalData;
  const ok =
    typeof p.amiId === 'string' &&
    typeof p.startedAt === 'number' &&
    (p.parameter === undefined || (isObject(p.parameter) && typeof p.parameter.name === 'string')) &&
    Array.isArray(p.groups) &&
    p.groups.every((g) => isObject(g) && typeof g.name === 'string' && typeof g.region === 'string') &&
    Array.isArray(p.changes) &&
    p.changes.every((c) => isObject(c) && typeof c.kind === 'string' && typeof c.region === 'string');
  return ok ? p : undefined;
}

/** The AMI the run deployed in a region. */
export const amiIn = (j: JournalData, region: string): string => j.amiIds?.[region] ?? j.amiId;

/** The refreshes started so far, as the `refreshes` output (completed with versions once the roll ends). */
export function startedRefreshes(j: JournalData) {
  return j.changes.flatMap((c) =>
    c.kind === 'refresh' && c.refreshId
      ? [{ region: c.region, group: c.group, refreshId: c.refreshId, amiId: amiIn(j, c.region) }]
      : [],
  );
}

/** The changes of one kind. */
export function changesOf<K extends Change['kind']>(j: JournalData, kind: K): Extract<Change, { kind: K }>[] {
  return j.changes.filter((c): c is Extract<Change, { kind: K }> => c.kind === kind);
}
