// Consent to be rolled: a group found by tags alone is rolled only when it carries the tag that
// binds it to this image, so a shared account's other fleets with the same Environment tag are safe.
import { ActionFailure } from '../core/errors.js';
import type { RollInputs } from './inputs.js';
import { groupLabel } from '../aws/group-label.js';

/** The tag a group carries to be rolled onto the image recorded in this SSM parameter. */
export const CONSENT_TAG = 'golden-ami:parameter';

/** `/golden-ami/web:staging` and `golden-ami/web` both stand for `/golden-ami/web`. */
export function parameterBase(name: string): string {
  const bare = name.replace(/:[^/:]+$/, '');
  return bare.startsWith('/') ? bare : `/${bare}`;
}

/** The consent value: consent-parameter, else the name of ami-parameter (named groups need none). */
export function consentFrom(i: Pick<RollInputs, 'consentParameter' | 'amiParameter'>): { consent?: string } {
  const name = i.consentParameter ?? i.amiParameter;
  return name ? { consent: parameterBase(name) } : {};
}

/**
 * Throws, listing every selected group without consent and what it lacks, before anything changes.
 * Groups named in asg-names have consented by being named, and are not checked.
 */
export function requireConsent(
  groups: readonly { region: string; name: string; group: { Tags?: { Key?: string; Value?: string }[] } }[],
  consent: string,
): void {
  if (!consent)
    throw new ActionFailure(
      `asg-tags matched ${groups.map((g) => groupLabel(g.region, g.name)).join(', ')}, but no consent-parameter says which ${CONSENT_TAG} tag lets a group be rolled; nothing was changed.`,
    );
  const refused = groups.flatMap((g) => {
    const tag = g.group.Tags?.find((t) => t.Key === CONSENT_TAG);
    if (tag?.Value !== undefined && parameterBase(tag.Value) === consent) return [];
    const why = tag ? `${CONSENT_TAG}=${tag.Value}, not ${consent}` : `no ${CONSENT_TAG} tag`;
    return [`${groupLabel(g.region, g.name)}: ${why}`];
  });
  if (!refused.length) return;
  throw new ActionFailure(
    `asg-tags matched ${refused.length} group(s) that have not consented to be rolled onto ${consent}: ` +
      `${refused.join('; ')}. Nothing was changed. Tag a group ${CONSENT_TAG}=${consent} to let this ` +
      `pipeline roll it, or name it in asg-names.`,
  );
}
