// deploy-ami's post step: the runner runs it after the main step, cancelled or not. When the main
// step did not end healthy or fully put back (SIGINT, SIGKILL, a put-back AWS kept refusing), it
// puts back what the journal in step state says the run changed — after checking each claim
// against the inputs and AWS, since step state is only as trustworthy as the job's other steps.
import type { ActionContext } from '../core/context.js';
import { ActionFailure } from '../core/errors.js';
import { describeGroups } from '../aws/groups.js';
import { CONSENT_TAG, parameterBase } from '../roll/consent.js';
import { groupSelection, type DeployInputs } from './inputs.js';
import { readJournal, type GroupBefore, type JournalData } from './journal.js';
import type { PutBackReport } from './persist.js';
import { putBack } from './put-back.js';

/** Does AWS show this group as one the inputs select (by name, or by tags with consent)? */
async function selected(ctx: ActionContext, g: GroupBefore, v: DeployInputs): Promise<boolean> {
  const sel = groupSelection(v);
  if (sel.asgNames.length && !sel.asgNames.includes(g.name)) return false;
  const [group] = await describeGroups(ctx.clients.autoScaling(g.region), { names: [g.name] });
  if (!group) return false;
  if (sel.asgNames.length) return true;
  const tags = new Map((group.Tags ?? []).map((t) => [t.Key, t.Value]));
  const consent = tags.get(CONSENT_TAG);
  return (
    Object.entries(sel.asgTags).every(([k, val]) => tags.get(k) === val) &&
    consent !== undefined &&
    parameterBase(consent) === parameterBase(v.parameterName)
  );
}

/** The journal's claims that hold: its deployment is this step's, each group one the inputs select. */
export async function checkedJournal(
  ctx: ActionContext,
  j: JournalData,
  v: DeployInputs,
): Promise<JournalData> {
  const mismatch = [
    j.amiId !== v.amiId && `ami-id ${j.amiId}`,
    j.parameter.name !== v.parameterName && `parameter ${j.parameter.name}`,
    j.environment !== v.environment && `environment ${j.environment}`,
  ].filter(Boolean);
  if (mismatch.length)
    throw new ActionFailure(
      `The saved state names ${mismatch.join(', ')}, not this step's inputs; nothing was put back.`,
    );
  const groups: GroupBefore[] = [];
  for (const g of j.groups) {
    if (await selected(ctx, g, v)) groups.push(g);
    else ctx.log.warning(`${g.region}/${g.name}: not a group these inputs select; left alone`);
  }
  return { ...j, groups };
}

/** The post step: nothing when main ended healthy or put back; else the put-back, finished. */
export async function finishDeploy(
  ctx: ActionContext,
  getState: (name: string) => string,
  v: DeployInputs,
): Promise<PutBackReport | undefined> {
  const saved = readJournal(getState);
  if (!saved) {
    ctx.log.info('Nothing to put back: the deployment changed nothing.');
    return undefined;
  }
  if (saved.settled) {
    ctx.log.info(
      saved.settled === 'healthy'
        ? 'Nothing to put back: the deployment ended proven healthy.'
        : 'Nothing to put back: the main step put back everything it changed.',
    );
    return undefined;
  }
  ctx.log.info(`The main step did not finish: putting back what it changed in ${saved.environment}.`);
  const j = await checkedJournal(ctx, saved, v);
  const report = await putBack(ctx, j, {
    quick: false,
    retryMs: v.putBackMinutes * 60_000,
    waitMs: v.timeoutMinutes * 60_000,
  });
  for (const line of report.restored) ctx.log.info(line);
  if (!report.complete)
    throw new ActionFailure(
      `${saved.environment}: not everything was put back: ${report.remaining.map((r) => `${r.what} (finish with: ${r.command})`).join('; ')}`,
    );
  ctx.log.info(`${saved.environment} is as it was before the deployment.`);
  return report;
}
