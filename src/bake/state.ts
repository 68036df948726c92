// What the main step saves for its post step, the moment each resource exists.

export const STATE = {
  bakeId: 'bake-id',
  region: 'region',
  builderId: 'builder-instance-id',
  /** JSON array of { region, imageId } the bake created (the AMI and its copies). */
  images: 'images',
  /** Set once the bake succeeded: its images are results, not leftovers. */
  done: 'done',
  /** JSON PackerResources: Packer's process and the temporary resources it announced. */
  packer: 'packer',
} as const;

/** Packer's temporary resources of one bake, as saved in state (`packer`). */
export interface PackerResources {
  /** Packer's process (and process group) id while it runs. */
  pid?: number;
  keyPairs: string[];
  /** Security group names (Packer prints the name, not the id). */
  securityGroups: string[];
  instances: string[];
}

export interface CreatedImage {
  region: string;
  imageId: string;
}

/** Saves state for the post step; backed by core.saveState in the entry. */
export type StateRecorder = (name: string, value: string) => void;

export interface SavedBake {
  bakeId: string;
  region: string;
  builderId?: string;
  images: CreatedImage[];
  done: boolean;
  packer?: PackerResources;
}

const names = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];

/** Saved Packer resources, read defensively: anything malformed is left out. */
function readPacker(text: string): PackerResources | undefined {
  if (!text) return undefined;
  try {
    const p = JSON.parse(text) as Record<string, unknown>;
    return {
      ...(Number.isSafeInteger(p.pid) && (p.pid as number) > 1 ? { pid: p.pid as number } : {}),
      keyPairs: names(p.keyPairs),
      securityGroups: names(p.securityGroups),
      instances: names(p.instances),
    };
  } catch {
    return undefined;
  }
}

/** Reads what main saved; undefined when main never got as far as naming the bake. */
export function readSavedBake(get: (name: string) => string): SavedBake | undefined {
  const bakeId = get(STATE.bakeId);
  const region = get(STATE.region);
  if (!bakeId || !region) return undefined;
  let images: CreatedImage[] = [];
  try {
    const parsed: unknown = JSON.parse(get(STATE.images) || '[]');
    if (Array.isArray(parsed))
      images = parsed.filter(
        (i): i is CreatedImage =>
          typeof i === 'object' &&
          i !== null &&
          typeof (i as CreatedImage).region === 'string' &&
          typeof (i as CreatedImage).imageId === 'string',
      );
  } catch {
    images = [];
  }
  const packer = readPacker(get(STATE.packer));
  return {
    bakeId,
    region,
    builderId: get(STATE.builderId) || undefined,
    images,
    done: get(STATE.done) === 'true',
    ...(packer ? { packer } : {}),
  };
}
