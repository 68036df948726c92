import { cleanupAfterBake } from '../../../src/bake/post.js';
import { readSavedBake } from '../../../src/bake/state.js';
import { context, FakeCloud, REGION } from './fake-cloud.js';

describe('post step', () => {
  let cloud: FakeCloud;
  beforeEach(() => {
    cloud = new FakeCloud();
  });
  afterEach(() => cloud.restore());

  function leftovers(bakeId: string) {
    const builder = {
      id: 'i-0000000000000000a',
      region: REGION,
      state: 'running',
      tags: { 'golden-ami:bake-id': bakeId },
      userData: '',
      console: [],
      pollsLeft: 0,
    };
    cloud.instances.set(builder.id, builder);
    cloud.snapshots.set('snap-1', {
      id: 'snap-1',
      region: REGION,
      tags: { 'golden-ami:bake-id': bakeId },
      description: '',
    });
    const image = cloud.addImage({
      name: 'web-1',
      owner: 'self',
      state: 'pending',
      tags: { 'golden-ami:bake-id': bakeId },
      snapshots: ['snap-1'],
    });
    const copy = cloud.addImage({
      name: 'web-1',
      owner: 'self',
      state: 'pending',
      region: 'eu-west-1',
      tags: { 'golden-ami:bake-id': bakeId },
    });
    cloud.snapshots.set('snap-2', {
      id: 'snap-2',
      region: 'eu-west-1',
      tags: {},
      description: `Copied for DestinationAmi ${copy.id} from SourceAmi ${image.id}`,
    });
    return { builder, image, copy };
  }

  const state = (values: Record<string, string>) => readSavedBake((n) => values[n] ?? '');

  it('forged state: ids that do not carry the bake id are left alone, whatever the state says', async () => {
    const foreignInstance = {
      id: 'i-0000000000000000f',
      region: REGION,
      state: 'running',
      tags: { team: 'other' },
      userData: '',
      console: [],
      pollsLeft: 0,
    };
    cloud.instances.set(foreignInstance.id, foreignInstance);
    cloud.snapshots.set('snap-f', { id: 'snap-f', region: REGION, tags: {}, description: '' });
    const foreignImage = cloud.addImage({
      name: 'theirs',
      owner: 'self',
      state: 'available',
      tags: { team: 'other' },
      snapshots: ['snap-f'],
    });
    const saved = state({
      'bake-id': 'b-forged',
      region: REGION,
      'builder-instance-id': foreignInstance.id,
      images: JSON.stringify([{ region: REGION, imageId: foreignImage.id }]),
    });
    const ctx = context(cloud);
    await cleanupAfterBake(ctx, saved, { retryDelayMs: 1 });
    expect(cloud.instances.get(foreignInstance.id)!.state).toBe('running');
    expect(cloud.images.get(foreignImage.id)!.deregistered).toBeUndefined();
    expect(cloud.snapshots.get('snap-f')!.deleted).toBeUndefined();
    expect(cloud.mutations).toEqual([]);
  });

  it('after a killed bake: terminates the builder, deregisters its images and deletes their snapshots', async () => {
    const { builder, image, copy } = leftovers('b-1');
    const saved = state({
      'bake-id': 'b-1',
      region: REGION,
      'builder-instance-id': builder.id,
      images: JSON.stringify([{ region: 'eu-west-1', imageId: copy.id }]),
    });
    await cleanupAfterBake(context(cloud), saved, { retryDelayMs: 1 });
    expect(cloud.instances.get(builder.id)!.state).toBe('shutting-down');
    expect(cloud.images.get(image.id)!.deregistered).toBe(true);
    expect(cloud.images.get(copy.id)!.deregistered).toBe(true);
    expect([...cloud.snapshots.values()].every((s) => s.deleted)).toBe(true);
  });

  it('after a successful bake: keeps the images', async () => {
    const { builder, image } = leftovers('b-2');
    await cleanupAfterBake(
      context(cloud),
      state({ 'bake-id': 'b-2', region: REGION, 'builder-instance-id': builder.id, done: 'true' }),
      { retryDelayMs: 1 },
    );
    expect(cloud.images.get(image.id)!.deregistered).toBeUndefined();
    expect(cloud.instances.get(builder.id)!.state).toBe('shutting-down');
  });

  it('touches nothing of other bakes, and nothing at all when main never started', async () => {
    const { builder, image } = leftovers('someone-else');
    await cleanupAfterBake(context(cloud), state({ 'bake-id': 'b-3', region: REGION }), { retryDelayMs: 1 });
    await cleanupAfterBake(context(cloud), state({}), { retryDelayMs: 1 });
    expect(cloud.instances.get(builder.id)!.state).toBe('running');
    expect(cloud.images.get(image.id)!.deregistered).toBeUndefined();
    expect(cloud.mutations).toEqual([]);
  });
});
