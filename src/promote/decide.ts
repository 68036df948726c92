// The promotion rule for one region, pure so the planner and the race check apply the same one.
import { compareCreation, type ImageFacts } from './images.js';
import type { PlannedParameter } from './types.js';

export interface DecisionInput {
  parameterName: string;
  region: string;
  image: ImageFacts;
  /** The value current now, or undefined when the parameter does not exist. */
  current?: { value: string; version: number };
  /**
   * What the age is judged against when it is not the current value: the version the label of
   * the environment is on. "Older" means older than what that environment runs.
   */
  reference?: { value: string; version: number; label: string };
  /** A label asked for that is on no version yet: the age is judged against the current value, and the refusal says so. */
  unrecorded?: string;
  /** Facts about the AMI the age is judged against (reference, else current); undefined when gone. */
  currentImage?: ImageFacts;
  /** Compare-and-swap expectation (null: must not exist; undefined: none). */
  expected?: string | null;
  allowOlder: boolean;
}

export type Decision =
  | { kind: 'create' }
  | { kind: 'update'; note?: string }
  | { kind: 'rollback' }
  | { kind: 'unchanged' }
  | { kind: 'refuse'; reason: string };

/**
 * Compare-and-swap against what the plan read: why the parameter (value or label) moved since
 * then, or undefined when it did not. Another writer's record is never written over.
 */
export function movedSincePlan(
  d: { parameterName: string; region: string; label?: string },
  planned: PlannedParameter | undefined,
  current: { value: string; version: number } | undefined,
  labelVersion: number | undefined,
): string | undefined {
  if (!planned) return undefined;
  const value = current?.value ?? null;
  const label = labelVersion ?? null;
  if (value === planned.value && (!d.label || label === planned.labelVersion)) return undefined;
  const now = current ? `${current.value} (version ${current.version})` : 'no parameter';
  const was = planned.value ?? 'no parameter';
  const labels = d.label
    ? `, label ${d.label} on ${label === null ? 'no version' : `version ${label}`} (the plan read ${planned.labelVersion === null ? 'no version' : `version ${planned.labelVersion}`})`
    : '';
  return (
    `compare-and-swap conflict: ${d.parameterName} in ${d.region} moved since the plan: it holds ${now} ` +
    `(the plan read ${was})${labels}; another writer recorded it, and this run does not write over it`
  );
}

export function decide(d: DecisionInput): Decision {
  const where = `${d.parameterName} in ${d.region}`;
  if (d.expected !== undefined) {
    const actual = d.current ? `${d.current.value} (version ${d.current.version})` : 'no parameter';
    const wanted = d.expected ?? 'no parameter';
    if ((d.current?.value ?? null) !== d.expected)
      return {
        kind: 'refuse',
        reason: `compare-and-swap conflict: ${where} holds ${actual}, expected-current is ${wanted}`,
      };
  }
  if (!d.current) return { kind: 'create' };
  if (d.current.value === d.image.amiId) return { kind: 'unchanged' };
  const ref = d.reference ?? d.current;
  const held = d.reference
    ? `which label ${d.reference.label} of ${where} is on (version ${d.reference.version})`
    : d.unrecorded
      ? `current in ${where} (label ${d.unrecorded} is on no version yet, so the newest value counts)`
      : `current in ${where}`;
  if (ref.value === d.image.amiId) return { kind: 'update' };
  if (!d.currentImage)
    return {
      kind: 'update',
      note: `${ref.value}, ${held}, no longer exists (deregistered?), so its age cannot be compared`,
    };
  const order = compareCreation(d.image, d.currentImage);
  if (order === undefined)
    return {
      kind: 'update',
      note: `no creation date for ${d.image.amiId} or ${ref.value}; ages not compared`,
    };
  if (order >= 0) return { kind: 'update' };
  if (d.allowOlder) return { kind: 'rollback' };
  return {
    kind: 'refuse',
    reason:
      `${d.image.amiId} (created ${d.image.creationDate}) is older than ${ref.value} (created ${d.currentImage.creationDate}), ` +
      `${held}; set allow-older: true to roll back`,
  };
}
