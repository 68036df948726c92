// Tag keys the action writes: how reuse, the janitor and the post step find what a bake made.
export const TAG = {
  /** On builders: the bake name. Janitor looks for this key. */
  builder: 'golden-ami:builder',
  /** On builders, images and snapshots: one bake (one step of one run attempt). */
  bakeId: 'golden-ami:bake-id',
  /** On builders, images and snapshots: ISO time after which a later bake's janitor may remove it (images: unless completed). */
  expiresAt: 'golden-ami:expires-at',
  /** On a failed bake's builder kept for debugging (on-failure: keep): that bake's id. Cleanup spares it; the janitor ends it at its expiry. */
  kept: 'golden-ami:kept',
  /** On images and snapshots: written when the bake succeeded; the janitor never touches these. */
  completed: 'golden-ami:completed',
  /** On images: the bake name, so two pipelines with identical content never share an AMI. */
  name: 'golden-ami:name',
  fingerprint: 'golden-ami:fingerprint',
  sourceAmi: 'golden-ami:source-ami',
  commit: 'golden-ami:commit',
  runUrl: 'golden-ami:run-url',
  /** On copies: the kms-key-ids key the copy was made with, so a changed key makes a new copy. */
  kmsKey: 'golden-ami:kms-key',
  /** On images: the keys of the user's `tags` bake-ami set, so reuse can remove one no longer listed. */
  tagKeys: 'golden-ami:tag-keys',
  /** On images: the regions this bake copies to, so a later janitor looks there too. */
  copyRegions: 'golden-ami:copy-regions',
} as const;

/** EC2's limit on a tag value. */
const TAG_VALUE_MAX = 256;

/**
 * A list spread over tag values of at most 256 characters, comma separated (no tag key or region
 * holds a comma): `key`, then `key-2`… An empty list is one empty value, so "none" differs from
 * "not recorded" (an image made before the list was kept).
 */
export function listTags(key: string, items: readonly string[]): Record<string, string> {
  const chunks = [''];
  for (const item of items) {
    const last = chunks.length - 1;
    const joined = chunks[last] ? `${chunks[last]},${item}` : item;
    if (joined.length <= TAG_VALUE_MAX) chunks[last] = joined;
    else chunks.push(item);
  }
  return Object.fromEntries(chunks.map((c, i) => [i === 0 ? key : `${key}-${i + 1}`, c]));
}

/** A list listTags wrote; undefined when none was recorded. */
export function readListTags(tags: Record<string, string>, key: string): string[] | undefined {
  const first = tags[key];
  if (first === undefined) return undefined;
  const values = [first];
  for (let i = 2, next = tags[`${key}-2`]; next !== undefined; next = tags[`${key}-${++i}`])
    values.push(next);
  return values.flatMap((v) => (v ? v.split(',') : []));
}

export interface Provenance {
  bakeName: string;
  bakeId: string;
  /** Clock ms after which an image that never got `completed` is the janitor's. */
  expiresAt: number;
  fingerprint: string;
  sourceAmiId: string;
  commit?: string;
  runUrl?: string;
  /** copy-to-regions: recorded so a later bake's janitor looks there even if it copies elsewhere. */
  copyRegions: readonly string[];
}

/** Tags for an AMI and its snapshots: the user's first, ours last so they cannot be overridden. */
export function imageTags(userTags: Record<string, string>, p: Provenance): Record<string, string> {
  const tags: Record<string, string> = {
    ...userTags,
    [TAG.name]: p.bakeName,
    [TAG.bakeId]: p.bakeId,
    [TAG.fingerprint]: p.fingerprint,
    [TAG.sourceAmi]: p.sourceAmiId,
    [TAG.expiresAt]: new Date(p.expiresAt).toISOString(),
    ...listTags(TAG.tagKeys, Object.keys(userTags)),
    ...(p.copyRegions.length ? listTags(TAG.copyRegions, p.copyRegions) : {}),
  };
  if (p.commit) tags[TAG.commit] = p.commit;
  // Tag values are at most 256 characters; a run URL longer than that is not worth failing over.
  if (p.runUrl) tags[TAG.runUrl] = p.runUrl.slice(0, 256);
  return tags;
}

export function builderTags(
  userTags: Record<string, string>,
  o: { bakeName: string; bakeId: string; expiresAt: number },
): Record<string, string> {
  return {
    ...userTags,
    Name: `${o.bakeName} builder`,
    [TAG.builder]: o.bakeName,
    [TAG.bakeId]: o.bakeId,
    [TAG.expiresAt]: new Date(o.expiresAt).toISOString(),
  };
}
