// The retention rules, as a pure function over what was read: keep, disable, deregister or re-enable.
import { RETIRE_TAG } from './estate.js';
import type { References } from './references.js';
import type { Decision, OwnedImage, RetireOptions } from './types.js';

export const DAY_MS = 86_400_000;

export interface Facts {
  images: OwnedImage[];
  /** Region -> references found there. */
  references: Map<string, References>;
  /** Region -> AMIs a parameter label holds. */
  labelled: Map<string, Set<string>>;
  /** AMIs with launch permissions for other accounts (or public). */
  shared: Set<string>;
  now: number;
}

const key = (region: string, imageId: string) => `${region}/${imageId}`;

/** Why an AMI is kept before looking at copies; empty when nothing keeps it. */
function keepReasons(image: OwnedImage, newest: Set<OwnedImage>, f: Facts, o: RetireOptions): string[] {
  const reasons: string[] = [];
  const refs = f.references.get(image.region)?.get(image.imageId);
  if (refs?.length) reasons.push(`in use: ${refs.join('; ')}`);
  if (image.tags[RETIRE_TAG.keep]?.toLowerCase() === 'true') reasons.push(`tagged ${RETIRE_TAG.keep}=true`);
  if (newest.has(image)) reasons.push(`among the newest ${o.keepCount} of ${image.name}`);
  if (f.now - image.created < o.keepMs) reasons.push(`younger than ${o.keepMs / DAY_MS} days`);
  if (f.shared.has(image.imageId) && !o.includeShared)
    reasons.push('shared with other accounts (their use cannot be seen; include-shared: true to retire)');
  if (image.protection.startsWith('enabled') && o.parameters.length === 0)
    reasons.push('deregistration protection on, and no parameters input to check which labels hold it');
  if (image.state !== 'available' && image.state !== 'disabled') reasons.push(`state ${image.state}`);
  return reasons;
}

function newestPerName(images: OwnedImage[], count: number): Set<OwnedImage> {
  const byName = new Map<string, OwnedImage[]>();
  for (const i of images) {
    if (i.state !== 'available' && i.state !== 'disabled') continue;
    const k = `${i.region}/${i.name}`;
    byName.set(k, [...(byName.get(k) ?? []), i]);
  }
  const out = new Set<OwnedImage>();
  for (const list of byName.values())
    list
      .sort((a, b) => b.created - a.created)
      .slice(0, count)
      .forEach((i) => out.add(i));
  return out;
}

/** The rules that keep an AMI, ignoring sharing: the AMIs worth checking launch permissions for. */
export function candidates(f: Omit<Facts, 'shared'>, o: RetireOptions): OwnedImage[] {
  const facts = { ...f, shared: new Set<string>() };
  const newest = newestPerName(f.images, o.keepCount);
  return f.images.filter((i) => i.state === 'available' && keepReasons(i, newest, facts, o).length === 0);
}

export function decide(f: Facts, o: RetireOptions): Decision[] {
  const newest = newestPerName(f.images, o.keepCount);
  const reasons = new Map(f.images.map((i) => [i, keepReasons(i, newest, f, o)]));
  // An AMI that is the source of a copy still kept stays too (repeat for copies of copies).
  const byKey = new Map(f.images.map((i) => [key(i.region, i.imageId), i]));
  for (let changed = true; changed;) {
    changed = false;
    for (const copy of f.images) {
      if (!copy.sourceImageId || !reasons.get(copy)?.length) continue;
      const source = byKey.get(key(copy.sourceRegion ?? copy.region, copy.sourceImageId));
      const why = `source of ${copy.imageId} (${copy.region}), which is kept`;
      if (source && !reasons.get(source)!.includes(why)) {
        if (reasons.get(source)!.length === 0) changed = true;
        reasons.get(source)!.push(why);
      }
    }
  }
  return f.images.map((image): Decision => {
    const keep = reasons.get(image)!;
    const disabledAt = Date.parse(image.tags[RETIRE_TAG.disabledAt] ?? '');
    const labelled = f.labelled.get(image.region)?.has(image.imageId) ?? false;
    if (keep.length) {
      // Disabled by an earlier run and needed again: put it back.
      if (image.state === 'disabled' && !Number.isNaN(disabledAt))
        return { image, action: 'enable', reasons: ['re-enabled: ' + keep.join('; ')] };
      return { image, action: 'keep', reasons: keep };
    }
    // A label holds it (also counted as a reference above); never unprotect such an AMI.
    if (labelled) return { image, action: 'keep', reasons: ['a parameter label holds it'] };
    const unprotect = image.protection.startsWith('enabled');
    if (image.state === 'available' || Number.isNaN(disabledAt))
      return {
        image,
        action: 'disable',
        reasons: ['no reference; past keep-count and keep-for'],
        unprotect,
      };
    const graceLeft = disabledAt + o.graceMs - f.now;
    if (graceLeft > 0)
      return {
        image,
        action: 'wait',
        reasons: [
          `disabled ${new Date(disabledAt).toISOString()}; deregistered after ${o.graceMs / DAY_MS} days`,
        ],
        unprotect,
      };
    // "If you chose to include a 24-hour cooldown period when you enabled deregistration protection
    // for the AMI, then, when you disable deregistration protection, you won't immediately be able
    // to deregister the AMI." (DisableImageDeregistrationProtection API reference)
    if (image.protection === 'enabled-with-cooldown' || image.protection.startsWith('disabled-until'))
      return {
        image,
        action: 'wait',
        reasons: [
          `deregistration protection cooldown (${image.protection === 'enabled-with-cooldown' ? 'starts now' : image.protection})`,
        ],
        unprotect,
      };
    return {
      image,
      action: 'deregister',
      reasons: [`disabled for more than ${o.graceMs / DAY_MS} days`],
      unprotect,
    };
  });
}

/** How many AMIs the decisions retire (disable or deregister): what the caps count. */
export const retiring = (d: Decision[]) =>
  d.filter((x) => x.action === 'disable' || x.action === 'deregister');

/** The refusal line when the caps forbid the run, else undefined. */
export function capRefusal(d: Decision[], o: RetireOptions): string | undefined {
  const n = retiring(d).length;
  if (n === 0) return undefined;
  if (n > o.maxRetire)
    return `max-retire: ${n} AMIs would be disabled or deregistered; at most ${o.maxRetire} may be in one run`;
  const percent = (n / d.length) * 100;
  if (percent > o.maxRetirePercent)
    return `max-retire-percent: ${n} of ${d.length} AMIs (${percent.toFixed(0)}%) would be disabled or deregistered; at most ${o.maxRetirePercent}% may be`;
  return undefined;
}
