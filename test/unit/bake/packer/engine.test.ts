import { bake } from '../../../../src/bake/bake.js';
import { artifactAmis, parseMachineLine } from '../../../../src/bake/packer/output.js';
import type { ProcessRunner } from '../../../../src/bake/packer/process.js';
import { packerArgs } from '../../../../src/bake/packer/build.js';
import { packerVariables } from '../../../../src/bake/packer/vars.js';
import { AbortedError, ConfigurationError } from '../../../../src/core/errors.js';
import { AL2023, REGION, startCloud, tagsOf, type UnitCloud } from '../cloud.js';
import { bakeOptions, workspace } from '../options.js';

describe('packer machine-readable output', () => {
  it('reads the artifact ids, with commas escaped, for one or many regions', () => {
    const one = parseMachineLine('1700000000,amazon-ebs,artifact,0,id,us-east-1:ami-0123456789abcdef0')!;
    expect(artifactAmis(one)).toEqual({ 'us-east-1': 'ami-0123456789abcdef0' });
    const many = parseMachineLine(
      '1700000000,amazon-ebs,artifact,0,id,us-east-1:ami-0aaa%!(PACKER_COMMA)eu-west-1:ami-0bbb',
    )!;
    expect(artifactAmis(many)).toEqual({ 'us-east-1': 'ami-0aaa', 'eu-west-1': 'ami-0bbb' });
    expect(
      artifactAmis(parseMachineLine('1700000000,amazon-ebs,artifact,0,string,AMIs were created')!),
    ).toBeUndefined();
    expect(parseMachineLine('not machine readable')).toBeUndefined();
  });

  it('passes source_ami and ami_name; JSON templates also get region, bake_id, bake_name and bake_tags; HCL only those it declares; user vars win', () => {
    const ours = {
      sourceAmiId: 'ami-1',
      amiName: 'web-1',
      region: 'us-east-1',
      bakeId: 'b-1',
      bakeName: 'web',
      tags: { team: 'web' },
    };
    const vars = packerVariables({ format: 'json' }, ours, { size: 'big' });
    expect(packerArgs({ templatePath: 't.json', vars })).toEqual([
      'build',
      '-machine-readable',
      ...['-var', 'source_ami=ami-1', '-var', 'ami_name=web-1', '-var', 'region=us-east-1'],
      ...['-var', 'bake_id=b-1', '-var', 'bake_name=web', '-var', 'bake_tags={"team":"web"}'],
      ...['-var', 'size=big'],
      't.json',
    ]);
    expect(packerVariables({ format: 'hcl', declaredVars: ['bake_id', 'source_ami'] }, ours, {})).toEqual({
      source_ami: 'ami-1',
      ami_name: 'web-1',
      bake_id: 'b-1',
    });
  });
});

describe('bake with engine: packer', () => {
  let cloud: UnitCloud;
  beforeAll(async () => {
    cloud = await startCloud();
  });
  afterAll(() => cloud.stop());
  beforeEach(() => cloud.reset());

  /** A Packer that "builds" by leaving an available image in localcloud, as if baked. */
  function fakePacker(
    behaviour: { exitCode?: number; waitForAbort?: () => void; timedOut?: boolean } = {},
  ): ProcessRunner & { args: string[]; interrupted: boolean } {
    const runner = {
      args: [] as string[],
      interrupted: false,
      which: async (p: string) => `/usr/bin/${p}`,
      run: async (
        _program: string,
        args: readonly string[],
        o: { signal: AbortSignal; onLine: (l: string) => void },
      ) => {
        runner.args = [...args];
        o.onLine('1700000000,,ui,say,==> amazon-ebs: Creating temporary keypair');
        if (behaviour.timedOut) return { exitCode: 1, signalled: true, timedOut: true };
        if (behaviour.waitForAbort) {
          const aborted = new Promise<void>((resolve) =>
            o.signal.addEventListener('abort', () => resolve(), { once: true }),
          );
          behaviour.waitForAbort();
          await aborted;
          runner.interrupted = true;
          o.onLine('1700000000,,ui,error,Build was cancelled.');
          return { exitCode: 1, signalled: true, timedOut: false };
        }
        if (behaviour.exitCode) {
          o.onLine('1700000000,,ui,error,Build errored: InvalidAMIID.NotFound');
          return { exitCode: behaviour.exitCode, signalled: false, timedOut: false };
        }
        const name = args.find((a) => a.startsWith('ami_name='))!.slice('ami_name='.length);
        const [image] = cloud.lc.control.seed({ images: [{ name }] }).images;
        o.onLine(`1700000000,amazon-ebs,artifact,0,id,${REGION}:${image!.imageId}`);
        return { exitCode: 0, signalled: false, timedOut: false };
      },
    };
    return runner;
  }

  const setup = (runner: ProcessRunner, inputs: Record<string, string> = {}) => {
    const dir = workspace({ 'web.json': '{"builders":[{"type":"amazon-ebs"}]}' });
    return bakeOptions(
      {
        name: 'web',
        'source-ami': AL2023,
        engine: 'packer',
        'packer-template': 'web.json',
        'packer-vars': 'custom_endpoint_ec2=http://127.0.0.1:1',
        ...inputs,
      },
      { workingDirectory: dir, processRunner: runner },
    );
  };

  it('runs packer, returns its AMI and tags it with the fingerprint; a rerun reuses it', async () => {
    const runner = fakePacker();
    const o = setup(runner);
    const r = await bake(cloud.context(), o);
    expect(runner.args).toEqual(
      expect.arrayContaining([
        'build',
        '-machine-readable',
        'custom_endpoint_ec2=http://127.0.0.1:1',
        'web.json',
      ]),
    );
    expect(runner.args).toContain(`source_ami=${r.sourceAmiId}`);
    expect(tagsOf(cloud.image(r.amiId!)!.tags)).toMatchObject({
      'golden-ami:fingerprint': r.fingerprint,
      'golden-ami:name': 'web',
    });
    const again = await bake(cloud.context(), { ...o, processRunner: fakePacker() });
    expect(again).toMatchObject({ reused: true, amiId: r.amiId });
  });

  it('a failing packer build fails the packer phase with its error lines', async () => {
    await expect(bake(cloud.context(), setup(fakePacker({ exitCode: 1 })))).rejects.toThrow(
      /^phase packer failed: packer build exited with code 1: Build errored: InvalidAMIID.NotFound$/,
    );
  });

  it('forwards cancellation to packer', async () => {
    const controller = new AbortController();
    const runner = fakePacker({ waitForAbort: () => controller.abort() });
    await expect(bake(cloud.context(controller.signal), setup(runner))).rejects.toThrow(AbortedError);
    expect(runner.interrupted).toBe(true);
  });

  it('a packer build that outlives timeout fails naming the phase', async () => {
    await expect(bake(cloud.context(), setup(fakePacker({ timedOut: true })))).rejects.toThrow(
      /^timeout \(60m\) ran out during phase packer: packer build did not finish in time/,
    );
  });

  it('a missing packer binary is an input error before any AWS call', async () => {
    const o = setup({ ...fakePacker(), which: async () => undefined });
    const err = await bake(cloud.context(), o).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as Error).message).toMatch(/packer binary on PATH, and it was not found/);
    expect(cloud.calls()).toEqual([]);
  });
});
