/**
 * Named durations (milliseconds) of everything that takes time in localcloud. Defaults keep the
 * test suite fast; the `realistic` preset is for the demo.
 */
export interface Durations {
  /** RunInstances/StartInstances: pending → running. */
  instanceBoot: number;
  /** Running → user data script finished (then a shutdown in the script stops the instance). */
  provision: number;
  /** Stopping → stopped. */
  instanceStop: number;
  /** Shutting-down → terminated. */
  instanceTerminate: number;
  /** How long terminated instances stay visible in DescribeInstances. */
  terminatedVisible: number;
  /** CreateImage: pending → available (snapshots complete at the same time). */
  imageAvailable: number;
  /** CopyImage: pending → available. */
  imageCopy: number;
  /** SSM's asynchronous aws:ec2:image check of a new parameter version. */
  ssmValidation: number;
  /** Run Command: one invocation from InProgress to done. */
  commandRun: number;
  /** A new instance turns healthy (ELB target, ASG health) this long after it is running. */
  healthCheckDelay: number;
  /** After start, stop or terminate: until the buffered console output is posted. */
  consolePost: number;
  /** Length of one second given in an API parameter (InstanceWarmup, CheckpointDelay, BakeTime, …). */
  apiSecond: number;
}

export const DEFAULT_DURATIONS: Readonly<Durations> = Object.freeze({
  instanceBoot: 300,
  provision: 800,
  instanceStop: 300,
  instanceTerminate: 300,
  terminatedVisible: 10 * 60_000,
  imageAvailable: 800,
  imageCopy: 800,
  ssmValidation: 200,
  commandRun: 400,
  healthCheckDelay: 500,
  consolePost: 400,
  apiSecond: 20,
});

export const REALISTIC_DURATIONS: Readonly<Durations> = Object.freeze({
  instanceBoot: 30_000,
  provision: 120_000,
  instanceStop: 20_000,
  instanceTerminate: 30_000,
  terminatedVisible: 60 * 60_000,
  imageAvailable: 180_000,
  imageCopy: 240_000,
  ssmValidation: 2_000,
  commandRun: 5_000,
  healthCheckDelay: 30_000,
  consolePost: 30_000,
  apiSecond: 1_000,
});

export type DurationsInput = Partial<Durations> | 'default' | 'realistic';

/** Validates and merges a partial override onto a base (unknown names and bad numbers throw). */
export function resolveDurations(
  input: DurationsInput | undefined,
  base: Durations = DEFAULT_DURATIONS,
): Durations {
  if (input === undefined || input === 'default') return { ...DEFAULT_DURATIONS };
  if (input === 'realistic') return { ...REALISTIC_DURATIONS };
  const out: Durations = { ...base };
  for (const [key, value] of Object.entries(input)) {
    if (!(key in DEFAULT_DURATIONS)) throw new Error(`unknown duration "${key}"`);
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new Error(`duration "${key}" must be a non-negative number of milliseconds`);
    }
    out[key as keyof Durations] = value;
  }
  return out;
}
