// deploy-ami's post step: the runner runs it after the main step, cancelled or not. When the main
// step did not end healthy or fully put back (SIGINT, SIGKILL, a put-back AWS kept refusing), it
// puts back what the journal in step state says the run changed — after checking each claim
// against the inputs and AWS, since step state is only as trustworthy as the job's other steps.
import type { ActionContext } from '../core/context.js';
import { ActionFailure, describeError } from '../core/errors.js';
import { describeGroups } from '../aws/groups.js';
import { CONSENT_TAG, parameterBase } from '../roll/consent.js';
import { groupSelection, putBackTimes, type DeployInputs } from './inputs.js';
import { readJournal, regionState, type GroupBefore, type JournalData } from './journal.js';
import type { PutBackReport } from './persist.js';
import { putBack } from './put-back.js';

/** Which groups the step's inputs select: by name, or by tags with the consent tag. */
export interface Selection {
  names: readonly string[];
  tags: Readonly<Record<string, string>>;
  /** The consent a group found by tags must carry (golden-ami:parameter). */
  consent?: string;
}

/** Does AWS show this group as one the inputs select (by name, or by tags with consent)? */
async function selected(ctx: ActionContext, g: GroupBefore, sel: Selection): Promise<boolean> {
  if (sel.names.length && !sel.names.includes(g.name)) return false;
  const [group] = await describeGroups(ctx.clients.autoScaling(g.region), { names: [g.name] });
  if (!group) return false;
  if (sel.names.length) return true;
  const tags = new Map((group.Tags ?? []).map((t) => [t.Key, t.Value]));
  const consent = tags.get(CONSENT_TAG);
  return (
    Object.entries(sel.tags).every(([k, val]) => tags.get(k) === val) &&
    sel.consent !== undefined &&
    consent !== undefined &&
    parameterBase(consent) === sel.consent
  );
}

/** What the step's inputs say the journal must be about. */
export interface Expectation {
  selection: Selection;
  /** Fields the journal must hold as the inputs say (deploy-ami: ami-id, parameter, environment). */
  fields(j: JournalData): { name: string; saved: string | undefined; input: string }[];
}

/** The journal's claims that hold: its deployment is this step's, each group one the inputs select. */
export async function checkedJournal(
  ctx: ActionContext,
  j: JournalData,
  e: Expectation,
): Promise<JournalData> {
  const mismatch = e
    .fields(j)
    .filter((f) => f.saved !== f.input)
    .map((f) => `${f.name} ${f.saved ?? '(none)'}`);
  if (mismatch.length)
    throw new ActionFailure(
      `The saved state names ${mismatch.join(', ')}, not this step's inputs; nothing was put back.`,
    );
  const groups: GroupBefore[] = [];
  for (const g of j.groups) {
    if (await selected(ctx, g, e.selection)) groups.push(g);
    else ctx.log.warning(`${g.region}/${g.name}: not a group these inputs select; left alone`);
  }
  return { ...j, groups };
}

/**
 * A post step: nothing when main ended on its own (healthy, put back, or roll-asg's refreshes
 * left running by design); else the put-back, finished, after checking the journal.
 */
export async function finishFromJournal(
  ctx: ActionContext,
  getState: (name: string) => string,
  e: Expectation,
  budget: { retryMs: number; waitMs: number },
): Promise<PutBackReport | undefined> {
  const saved = readJournal(getState);
  if (!saved) {
    ctx.log.info('Nothing to put back: the main step changed nothing.');
    return undefined;
  }
  if (saved.settled) {
    ctx.log.info(
      saved.settled === 'healthy'
        ? 'Nothing to put back: the deployment ended proven healthy.'
        : saved.settled === 'put-back'
          ? 'Nothing to put back: the main step put back everything it changed.'
          : 'Nothing to put back: the main step ended by itself.',
    );
    return undefined;
  }
  const where = saved.environment || 'the selected groups';
  ctx.log.info(`The main step did not finish: putting back what it changed in ${where}.`);
  const j = await checkedJournal(ctx, saved, e);
  const report = await putBack(ctx, j, { quick: false, ...budget });
  for (const line of report.restored) ctx.log.info(line);
  if (!report.complete)
    throw new ActionFailure(
      `${where}: not everything was put back: ${report.remaining.map((r) => `${r.what} (finish with: ${r.command})`).join('; ')}`,
    );
  ctx.log.info(`${where} is as it was before the run.`);
  return report;
}

/** deploy-ami's post step: the one region's journal, or with amis every region's, in parallel. */
export async function finishDeploy(
  ctx: ActionContext,
  getState: (name: string) => string,
  v: DeployInputs,
): Promise<PutBackReport | undefined> {
  const sel = groupSelection(v);
  const finish = (amiId: string | undefined, get: (name: string) => string) =>
    finishFromJournal(
      ctx,
      get,
      {
        selection: { names: sel.asgNames, tags: sel.asgTags, consent: parameterBase(v.parameterName) },
        fields: (j) => [
          { name: 'ami-id', saved: j.amiId, input: amiId ?? '' },
          { name: 'parameter', saved: j.parameter?.name, input: v.parameterName },
          { name: 'environment', saved: j.environment, input: v.environment },
        ],
      },
      putBackTimes(v),
    );
  if (!v.amis) return finish(v.amiId, getState);
  const regions = Object.entries(v.amis);
  const ends = await Promise.allSettled(
    regions.map(([region, ami]) => {
      const name = regionState(region);
      return finish(ami, (n) => getState(name(n)));
    }),
  );
  const failed = ends.flatMap((e, i) =>
    e.status === 'rejected' ? [`${regions[i]![0]}: ${describeError(e.reason)}`] : [],
  );
  if (failed.length) throw new ActionFailure(failed.join(' | '));
  return undefined;
}
