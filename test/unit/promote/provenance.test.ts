// Provenance: only AMIs this pipeline baked (an allowed owner's, carrying bake-ami's bake id) are
// recorded unless allow-foreign-ami says otherwise; a refusal writes nothing.
import { promote } from '../../../src/promote/promote.js';
import type { PromoteOptions } from '../../../src/promote/types.js';
import { startPromoteCloud, type PromoteCloud } from './cloud.js';
import { promotion } from './promotion.js';

const NAME = '/golden-ami/web';
const OURS = 'ami-0000000000000000a';
const UNTAGGED = 'ami-0000000000000000b';
const PARTNER = 'ami-0000000000000000c';
const US = 'us-east-1';

let cloud: PromoteCloud;
const options = (amiId: string, over: Partial<PromoteOptions> = {}) =>
  promotion([{ region: US, amiId }], over);
const writes = () =>
  cloud
    .calls({ region: US })
    .filter((c) => !/^(Get|Describe|List)/.test(c.operation))
    .map((c) => c.operation);

beforeAll(async () => {
  cloud = await startPromoteCloud();
});
afterAll(() => cloud.stop());
beforeEach(() => {
  cloud.reset();
  cloud.seedImage(US, OURS, '2024-01-01T00:00:00.000Z');
  cloud.seedImage(US, UNTAGGED, '2024-01-01T00:00:00.000Z');
  cloud.seedImage(US, PARTNER, '2024-01-01T00:00:00.000Z');
  const images = cloud.lc.world.region(US).ec2.images;
  images.get(UNTAGGED)!.tags = [];
  // Another account's AMI, baked by its own pipeline and shared with this one.
  const partner = images.get(PARTNER)!;
  partner.ownerId = '210987654321';
  partner.launchPermissionUserIds.add(cloud.lc.world.accountId);
});

it('records an AMI this account baked', async () => {
  const result = await promote(cloud.context(), options(OURS));
  expect(result.regions.map((r) => [r.outcome, r.notes])).toEqual([['created', []]]);
});

it('refuses an AMI without the bake id, writing nothing', async () => {
  await expect(promote(cloud.context(), options(UNTAGGED))).rejects.toThrow(
    `promoting /golden-ami/web failed in us-east-1: ${UNTAGGED} in us-east-1 is not an AMI this pipeline baked: it has no golden-ami:bake-id tag: bake-ami did not bake it; set allow-foreign-ami: true to record it anyway; no region was changed`,
  );
  expect(writes()).toEqual([]);
  expect(cloud.parameter(US, NAME)).toBeUndefined();
});

it("refuses another account's AMI unless its account is in allowed-owners", async () => {
  await expect(promote(cloud.context(), options(PARTNER))).rejects.toThrow(
    /is owned by an account not in allowed-owners \(self\); set allow-foreign-ami: true/,
  );
  expect(writes()).toEqual([]);
  const allowed = { allowedOwners: ['self', '210987654321'], allowForeign: false };
  const result = await promote(cloud.context(), options(PARTNER, { provenance: allowed }));
  expect(result.regions[0]!.outcome).toBe('created');
});

it('with allow-foreign-ami records it and says so', async () => {
  const ctx = cloud.context();
  const result = await promote(
    ctx,
    options(UNTAGGED, { provenance: { allowedOwners: ['self'], allowForeign: true } }),
  );
  expect(result.regions[0]!.outcome).toBe('created');
  expect(result.regions[0]!.notes).toEqual([
    `${UNTAGGED} in us-east-1 is not an AMI this pipeline baked: it has no golden-ami:bake-id tag: bake-ami did not bake it (allow-foreign-ami)`,
  ]);
});
