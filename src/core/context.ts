// What every capability receives (ActionContext) and what a step may touch on the runner (StepIO).
// Core names no cloud: the clients' members are declared by the layer that makes them.
import type { Clock } from './clock.js';
import type { Log } from './log.js';

/**
 * The clients a capability calls its cloud through, made once per step by the factory the entry
 * passes to runCapability. Core declares only what the boundary needs; src/aws/clients.ts adds
 * the AWS clients to this interface (declaration merging), so core imports nothing above it.
 */
export interface ActionClients {
  /** The region of the action's `region` input (or AWS_REGION). */
  readonly defaultRegion: string;
  /** Releases every client made; the boundary calls it when the step ends. */
  destroy(): void;
}

/** Makes the step's clients once its inputs are valid: for the action's region, named for its errors. */
export type ClientFactory = (o: { region: string; action: string; env: NodeJS.ProcessEnv }) => ActionClients;

/**
 * What every capability function receives. `Clients` is narrower for a capability that talks to
 * something else as well (reap: EC2 and Octopus).
 */
export interface ActionContext<Clients = ActionClients> {
  clients: Clients;
  clock: Clock;
  log: Log;
  signal: AbortSignal;
}

/** A step's outputs by name: objects are written as JSON, undefined ones not at all. */
export type StepOutputs = Record<string, string | number | boolean | object | undefined>;

/** The runner-facing side of a step: outputs, summary, state. */
export interface StepIO {
  env(name: string): string | undefined;
  setOutputs(outputs: StepOutputs): void;
  summary(markdown: string): Promise<void>;
  saveState(name: string, value: string): void;
  getState(name: string): string;
}

/**
 * What a capability's toOptions may use of the step: the runner's variables, state for the post
 * step, and outputs written before the run ends (so a cancelled step still names what it started).
 */
export type StepEnv = Pick<StepIO, 'env' | 'saveState'> & Partial<Pick<StepIO, 'setOutputs'>>;
