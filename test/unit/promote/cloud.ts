// localcloud in-process for the promote unit tests (the bake's helper, test/unit/bake/cloud.ts):
// real SDK clients against its SSM parameters (versions, labels, the asynchronous aws:ec2:image
// validation) and EC2 images, on one virtual clock. A racing writer is staged exactly with SDK
// middleware on our client: `beforeSend`/`afterSend` run another writer's call right before or
// right after one of ours reaches localcloud.
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { seedParameter } from '../../localcloud/aws/ssm-parameters.js';
import { seedImage as seedLocalImage } from '../../localcloud/seed.js';
import type { Parameter } from '../../localcloud/state.js';
import { clientConfig } from '../../localcloud/test-support.js';
import { startCloud, type UnitCloud } from '../bake/cloud.js';

type Input = Record<string, unknown>;
type Hook = (input: Input) => void | Promise<void>;

export interface PromoteCloud extends UnitCloud {
  /** An image the account owns, with a fixed id (the tests' messages name it). */
  seedImage(region: string, id: string, created: string, state?: 'available' | 'pending'): void;
  /** Seeds an already validated parameter, one version per value. */
  seed(
    region: string,
    name: string,
    values: string[],
    opts?: { dataType?: string; labels?: Record<string, number> },
  ): void;
  parameter(region: string, name: string): Parameter | undefined;
  /** The accepted versions, compact: "1:ami-a", "2:ami-b[prod]". */
  historyOf(region: string, name: string): string[];
  /** Another workflow's PutParameter (Overwrite), through localcloud's API. */
  concurrentPut(region: string, name: string, value: string): Promise<number>;
  /** Runs `hook` before each `operation` our client sends in `region` (until `reset`). */
  beforeSend(region: string, operation: string, hook: Hook): void;
  /** Runs `hook` after each `operation` our client sent in `region` succeeded (until `reset`). */
  afterSend(region: string, operation: string, hook: Hook): void;
}

export async function startPromoteCloud(): Promise<PromoteCloud> {
  const cloud = await startCloud();
  const { lc } = cloud;
  const hooks: { region: string; name: string }[] = [];
  const others = new Map<string, SSMClient>();
  const other = (region: string) => {
    if (!others.has(region)) others.set(region, new SSMClient(clientConfig(lc, region)));
    return others.get(region)!;
  };
  const addHook = (region: string, operation: string, hook: Hook, when: 'before' | 'after') => {
    const name = `test-${when}-${operation}-${hooks.length}`;
    hooks.push({ region, name });
    cloud.clients.ssm(region).middlewareStack.add(
      (next, context) => async (args) => {
        const mine = context.commandName === `${operation}Command`;
        if (mine && when === 'before') await hook(args.input as Input);
        const out = await next(args);
        if (mine && when === 'after') await hook(args.input as Input);
        return out;
      },
      { step: 'initialize', name },
    );
  };
  const reset = cloud.reset.bind(cloud);
  const stop = cloud.stop.bind(cloud);
  return {
    ...cloud,
    reset() {
      for (const h of hooks.splice(0)) cloud.clients.ssm(h.region).middlewareStack.remove(h.name);
      reset();
    },
    async stop() {
      for (const c of others.values()) c.destroy();
      await stop();
    },
    seedImage(region, id, created, state = 'available') {
      const r = lc.world.region(region);
      const seeded = seedLocalImage(r, { name: id, state, creationDate: created });
      r.ec2.images.delete(seeded.imageId);
      r.ec2.images.set(id, { ...seeded, imageId: id });
    },
    seed(region, name, values, opts = {}) {
      const r = lc.world.region(region);
      for (const value of values) seedParameter(r, name, value, opts.dataType ?? 'aws:ec2:image');
      const p = r.ssm.parameters.get(name)!;
      for (const [label, version] of Object.entries(opts.labels ?? {}))
        p.versions.find((v) => v.version === version)!.labels.push(label);
    },
    parameter: (region, name) => lc.world.region(region).ssm.parameters.get(name),
    historyOf: (region, name) =>
      (lc.world.region(region).ssm.parameters.get(name)?.versions ?? []).map(
        (v) => `${v.version}:${v.value}${v.labels.length ? `[${v.labels.join(',')}]` : ''}`,
      ),
    async concurrentPut(region, name, value) {
      const out = await other(region).send(
        new PutParameterCommand({
          Name: name,
          Value: value,
          Overwrite: true,
          Type: 'String',
          DataType: 'aws:ec2:image',
        }),
      );
      return out.Version!;
    },
    beforeSend: (region, operation, hook) => addHook(region, operation, hook, 'before'),
    afterSend: (region, operation, hook) => addHook(region, operation, hook, 'after'),
  };
}
