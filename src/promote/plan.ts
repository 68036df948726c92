// Read-only checks for one region: everything that can refuse a promotion happens here, for
// every region, before anything is written anywhere.
import { ActionFailure } from '../core/errors.js';
import type { ActionContext } from '../core/context.js';
import { decide, movedSincePlan, type Decision } from './decide.js';
import { findImage, requireAvailableImage, type ImageFacts } from './images.js';
import { checkProvenance } from './provenance.js';
import {
  IMAGE_DATA_TYPE,
  readHistory,
  readParameter,
  type HistoryEntry,
  type ParameterState,
} from './parameter.js';
import type { PromoteOptions, PromoteTarget } from './types.js';

export const MAX_VERSIONS = 100;

export interface RegionPlan {
  target: PromoteTarget;
  image: ImageFacts;
  current?: ParameterState;
  history: HistoryEntry[];
  decision: Exclude<Decision, { kind: 'refuse' }>;
  /** The version the label is on now (undefined: on none, or no label asked for). */
  labelVersion?: number;
  /** The AMI that version holds: what the label's environment runs. */
  labelAmiId?: string;
  notes: string[];
}

/** Looks at the parameter as it is now and decides; throws ActionFailure when the promotion must not happen. */
export async function planRegion(
  ctx: ActionContext,
  options: PromoteOptions,
  target: PromoteTarget,
  image?: ImageFacts,
): Promise<RegionPlan> {
  const { region } = target;
  const name = options.parameterName;
  const facts = image ?? (await requireAvailableImage(ctx, region, target.amiId));
  // Checked once, on the first look; a re-plan after a race is handed the same image.
  const foreign = image ? undefined : await checkProvenance(ctx, facts, options.provenance);
  const current = await readParameter(ctx, region, name);
  if (current && (current.dataType !== IMAGE_DATA_TYPE || current.type !== 'String'))
    throw new ActionFailure(
      `${name} in ${region} is a ${current.type} parameter with data type ${current.dataType}; ` +
        `SSM cannot convert it to ${IMAGE_DATA_TYPE}: delete it or choose another parameter-name`,
    );
  const history = current ? await readHistory(ctx, region, name) : [];
  // "Older" is judged against what the label's environment runs (the label's version); a label on
  // no version yet, or no label, leaves the current value to judge against.
  const labelled = options.label ? history.find((h) => h.labels.includes(options.label!)) : undefined;
  const moved = movedSincePlan(
    { parameterName: name, region, ...(options.label ? { label: options.label } : {}) },
    target.planned,
    current,
    labelled?.version,
  );
  if (moved) throw new ActionFailure(moved);
  const reference = labelled
    ? { value: labelled.value, version: labelled.version, label: options.label! }
    : undefined;
  const against = reference?.value ?? current?.value;
  const currentImage =
    against && against !== target.amiId ? await findImage(ctx, region, against) : current ? facts : undefined;
  const decision = decide({
    parameterName: name,
    region,
    image: facts,
    current,
    ...(reference ? { reference } : options.label ? { unrecorded: options.label } : {}),
    currentImage,
    expected: target.expected,
    allowOlder: options.allowOlder,
  });
  if (decision.kind === 'refuse') throw new ActionFailure(decision.reason);
  const notes: string[] = foreign ? [foreign] : [];
  if (decision.kind === 'update' && decision.note) notes.push(decision.note);
  if (decision.kind !== 'unchanged' && history.length >= MAX_VERSIONS) {
    const oldest = history[0];
    if (oldest?.labels.length)
      throw new ActionFailure(
        `${name} in ${region} has ${MAX_VERSIONS} versions and the oldest, version ${oldest.version}, carries ` +
          `label ${oldest.labels.join(', ')}: SSM would refuse a new version (ParameterMaxVersionLimitExceeded). ` +
          `Move that label to a newer version, then re-run`,
      );
  }
  return {
    target,
    image: facts,
    current,
    history,
    decision,
    labelVersion: labelled?.version,
    labelAmiId: labelled?.value,
    notes,
  };
}
