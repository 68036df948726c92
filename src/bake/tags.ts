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
} as const;

export interface Provenance {
  bakeName: string;
  bakeId: string;
  /** Clock ms after which an image that never got `completed` is the janitor's. */
  expiresAt: number;
  fingerprint: string;
  sourceAmiId: string;
  commit?: string;
  runUrl?: string;
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
