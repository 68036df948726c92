// promote-ami-parameter's protect input end to end: deregistration protection on the recorded AMI
// in every region for a protected label, none otherwise, and DeregisterImage then refused.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { DeregisterImageCommand, DescribeImagesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { localcloudEnv, runActionStep } from '../harness/run-action.js';
import { start, type Localcloud } from '../localcloud/index.js';
import { seedImage } from '../localcloud/seed.js';

jest.setTimeout(60_000);

let lc: Localcloud;
const credentials = { accessKeyId: 'AKIALOCALCLOUD000000', secretAccessKey: 'localcloud-secret' };
const ec2 = (region: string) => new EC2Client({ region, endpoint: lc.url, credentials });

beforeAll(async () => {
  lc = await start({ durations: { ssmValidation: 50 } });
});
afterAll(async () => {
  await lc.stop();
});

const ami = (region: string, name: string) => seedImage(lc.world.region(region), { name }).imageId;

async function protection(region: string, imageId: string) {
  const out = await ec2(region).send(new DescribeImagesCommand({ ImageIds: [imageId] }));
  return out.Images?.[0]?.DeregistrationProtection;
}

const promote = (inputs: Record<string, string>) =>
  runActionStep('promote-ami-parameter', {
    inputs: { 'poll-interval': '100ms', 'validation-timeout': '30s', ...inputs },
    env: localcloudEnv(lc.url, 'us-east-1'),
    timeoutMs: 60_000,
  });

describe('promote-ami-parameter protect (dist, localcloud)', () => {
  it('protects the AMI recorded under a protected label in every region; DeregisterImage is then refused', async () => {
    const amis = { 'us-east-1': ami('us-east-1', 'web-p1'), 'eu-west-1': ami('eu-west-1', 'web-p1') };
    const r = await promote({
      'parameter-name': '/golden-ami/web/production',
      amis: JSON.stringify(amis),
      label: 'production',
    });
    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(await protection('us-east-1', amis['us-east-1'])).toBe('enabled-with-cooldown');
    expect(await protection('eu-west-1', amis['eu-west-1'])).toBe('enabled-with-cooldown');
    expect(r.summary).toContain('deregistration protection on for');
    await expect(
      ec2('eu-west-1').send(new DeregisterImageCommand({ ImageId: amis['eu-west-1'] })),
    ).rejects.toMatchObject({
      name: 'OperationNotPermitted',
    });
  });

  it('leaves other labels unprotected unless protect: true, and a dry run protects nothing', async () => {
    const a = ami('us-east-1', 'web-s1');
    const staging = await promote({
      'parameter-name': '/golden-ami/web/staging',
      'ami-id': a,
      label: 'staging',
    });
    expect(staging.exitCode).toBe(0);
    expect(await protection('us-east-1', a)).toBe('disabled');
    const b = ami('us-east-1', 'web-s2');
    const dry = await promote({
      'parameter-name': '/golden-ami/web/staging',
      'ami-id': b,
      label: 'staging',
      protect: 'true',
      'dry-run': 'true',
    });
    expect(dry.exitCode).toBe(0);
    expect(dry.summary).toContain('would turn on deregistration protection');
    expect(await protection('us-east-1', b)).toBe('disabled');
    const forced = await promote({
      'parameter-name': '/golden-ami/web/staging',
      'ami-id': b,
      label: 'staging',
      protect: 'true',
    });
    expect(forced.exitCode).toBe(0);
    expect(await protection('us-east-1', b)).toBe('enabled-with-cooldown');
  });

  it('a bad protect value fails naming the input, before any AWS call', async () => {
    const seq = lc.logs.calls.query().at(-1)?.seq ?? 0;
    const r = await promote({
      'parameter-name': '/golden-ami/web/x',
      'ami-id': ami('us-east-1', 'web-x'),
      protect: 'yes',
    });
    expect(r.exitCode).toBe(1);
    expect(r.errors.join('\n')).toContain('protect: "yes" is not accepted; accepted: auto, true, false');
    expect(lc.logs.calls.query({ since: seq })).toEqual([]);
  });
});
