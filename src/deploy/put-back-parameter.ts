// Putting the parameter back: the environment's label on the version it was on (or off again),
// and the value the run wrote replaced by the one before, when the run's version is still newest.
import {
  DeleteParameterCommand,
  ParameterNotFound,
  PutParameterCommand,
  UnlabelParameterVersionCommand,
} from '@aws-sdk/client-ssm';
import type { ActionContext } from '../core/context.js';
import { labelVersion, readHistory, waitForVersion, type HistoryEntry } from '../promote/parameter.js';
import { changesOf, type JournalData, type ParameterBefore } from './journal.js';
import { persist, shellWord, type PutBackBudget, type PutBackReport } from './persist.js';

interface Restore {
  ctx: ActionContext;
  p: ParameterBefore;
  j: JournalData;
  budget: PutBackBudget;
  report: PutBackReport;
  history: HistoryEntry[];
  /** `--region … --name …` for the commands given to the user. */
  at: string;
}

/** Is this the version the run's PutParameter made (or its label change named)? Unanswered: by value alone. */
function ownVersion(j: JournalData, kind: 'label' | 'value', version: number): boolean {
  const ours = changesOf(j, kind);
  return ours.some((c) => c.version === undefined || c.version === version);
}

/** The label back where it was, when it now names a version holding the run's AMI. */
async function restoreLabel({ ctx, p, j, budget, report, history, at }: Restore): Promise<boolean> {
  const labelled = history.find((h) => h.labels.includes(p.label));
  if (!labelled || labelled.version === p.labelVersion || labelled.value !== j.amiId) return true;
  // Only where this run put it: a later run's move of the label (even to the same AMI) stands.
  if (!ownVersion(j, 'label', labelled.version)) return true;
  const back = p.labelVersion;
  const command =
    back !== undefined
      ? `aws ssm label-parameter-version ${at} --parameter-version ${back} --labels ${p.label}`
      : `aws ssm unlabel-parameter-version ${at} --parameter-version ${labelled.version} --labels ${p.label}`;
  try {
    if (back !== undefined) {
      await persist(ctx, budget, `moving label ${p.label} back`, () =>
        labelVersion(ctx, p.region, p.name, back, p.label),
      );
      const value = history.find((h) => h.version === back)?.value ?? 'unread';
      report.done(`label ${p.label} back on version ${back} (${value})`);
      return true;
    }
    const input = { Name: p.name, ParameterVersion: labelled.version, Labels: [p.label] };
    await persist(ctx, budget, `removing label ${p.label}`, () =>
      ctx.clients.ssm(p.region).send(new UnlabelParameterVersionCommand(input)),
    );
    report.done(`label ${p.label} removed again (it was on no version before)`);
    return true;
  } catch (err) {
    report.left(`label ${p.label} of ${p.name} still names ${j.amiId}`, err, command);
    return false;
  }
}

/** The value before written back, when the newest version is the run's. */
async function restoreValue(
  { ctx, p, j, budget, report, history, at }: Restore,
  waitForValue: boolean,
): Promise<void> {
  const newest = history.at(-1);
  if (!newest || newest.value !== j.amiId || newest.version === p.version) return;
  if (!ownVersion(j, 'value', newest.version)) return;
  if (p.value === undefined) return deleteCreated({ ctx, p, j, budget, report, history, at });
  const before = p.value;
  const input = {
    Name: p.name,
    Value: before,
    Type: 'String' as const,
    DataType: 'aws:ec2:image',
    Overwrite: true,
  };
  try {
    const out = await persist(ctx, budget, `writing ${before} back to ${p.name}`, () =>
      ctx.clients.ssm(p.region).send(new PutParameterCommand(input)),
    );
    if (waitForValue && out.Version !== undefined)
      await waitForVersion(ctx, p.region, p.name, out.Version, before, {
        timeoutMs: 120_000,
        pollIntervalMs: 500,
      });
    report.done(`${p.name} back to ${before} (version ${out.Version})`);
  } catch (err) {
    report.left(
      `${p.name} still holds ${j.amiId}`,
      err,
      `aws ssm put-parameter ${at} --value ${before} --type String --data-type aws:ec2:image --overwrite`,
    );
  }
}

/**
 * The parameter did not exist when the plan read it and this run's PutParameter (journaled before
 * it was sent) created it: as before is no parameter, so it is deleted, unless a version is not
 * the run's (another writer's record stands).
 */
async function deleteCreated({ ctx, p, j, budget, report, history, at }: Restore): Promise<void> {
  const others = history.filter((h) => h.value !== j.amiId || !ownVersion(j, 'value', h.version));
  if (others.length) {
    report.done(
      `${p.name} was created by this run, but version ${others.map((h) => h.version).join(', ')} is another writer's: it stays`,
    );
    return;
  }
  try {
    await persist(ctx, budget, `deleting ${p.name}, which this run created`, () =>
      ctx.clients.ssm(p.region).send(new DeleteParameterCommand({ Name: p.name })),
    );
    report.done(`${p.name} deleted again (this run created it)`);
  } catch (err) {
    if (err instanceof ParameterNotFound) return report.done(`${p.name} already gone (this run created it)`);
    report.left(
      `${p.name}, created by this run, still holds ${j.amiId}`,
      err,
      `aws ssm delete-parameter ${at}`,
    );
  }
}

/**
 * The label and value the journal says the run wrote, put back: the label first. Returns false
 * when the label may still name the AMI (a group resolving it would launch the AMI again).
 */
export async function restoreParameter(
  ctx: ActionContext,
  j: JournalData,
  budget: PutBackBudget,
  report: PutBackReport,
  o: { waitForValue: boolean },
): Promise<boolean> {
  const p = j.parameter;
  if (!p) return true;
  const touched = (kind: 'label' | 'value') =>
    changesOf(j, kind).some((c) => c.name === p.name && c.region === p.region);
  if (!touched('label') && !touched('value')) return true;
  const at = `--region ${p.region} --name ${shellWord(p.name)}`;
  let history: HistoryEntry[];
  try {
    history = await persist(ctx, budget, `reading the history of ${p.name}`, () =>
      readHistory(ctx, p.region, p.name),
    );
  } catch (err) {
    report.left(
      `${p.name} not read, so its label ${p.label} and value may hold ${j.amiId}`,
      err,
      `aws ssm get-parameter-history ${at}`,
    );
    return false;
  }
  const r = { ctx, p, j, budget, report, history, at };
  const labelBack = !touched('label') || (await restoreLabel(r));
  if (touched('value')) await restoreValue(r, o.waitForValue);
  return labelBack;
}
