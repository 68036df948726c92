// bake-ami's Packer engine through dist against localcloud and a real Packer (Debian's 1.6.6, with
// a shim for `packer init`): the fingerprint covers the files a template names, so changing one
// bakes anew, in JSON and HCL2; an HCL2 template (a file, or a directory that needs packer init)
// whose user data prints the failure marker fails the bake and leaves no image.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../harness/action-metadata.js';
import { installPackerShim, packerBakeStep } from '../harness/packer-shim.js';
import { start, type Localcloud } from '../localcloud/index.js';

jest.setTimeout(300_000);

let lc: Localcloud;
let workdir: string;
let shim: { binDir: string; log: string };

beforeAll(async () => {
  lc = await start({ port: 0 });
  workdir = mkdtempSync(join(tmpdir(), 'bake-e2e-packer-files-'));
  cpSync(join(repoRoot, 'image'), join(workdir, 'image'), { recursive: true });
  shim = installPackerShim(mkdtempSync(join(tmpdir(), 'packer-shim-')));
});
afterAll(async () => {
  await lc.stop();
  rmSync(workdir, { recursive: true, force: true });
});

const bake = (name: string, template: string, inputs: Record<string, string> = {}) =>
  packerBakeStep(lc.url, workdir, {
    name,
    template,
    inputs,
    env: { PATH: `${shim.binDir}:${process.env.PATH ?? '/usr/bin:/bin'}`, PACKER_SHIM_LOG: shim.log },
  });

const ok = (r: Awaited<ReturnType<typeof bake>>) => ({ exit: r.exitCode, errors: r.errors });
const text = (path: string) => readFileSync(join(workdir, path), 'utf8');
const write = (path: string, content: string) => {
  mkdirSync(join(workdir, path, '..'), { recursive: true });
  // shell-local executes a script itself: it must be executable.
  writeFileSync(join(workdir, path), content, { mode: 0o755 });
};
/** The shipped user data, made to fail: its trap prints BAKE-FAILED and powers off. */
const brokenUserData = () =>
  text('image/linux/user-data.sh').replace(
    'echo "bake: installing the base packages"',
    'echo "bake: installing the base packages"\n# localcloud: exit 1',
  );
const liveImages = (prefix: string) =>
  [...lc.world.region('us-east-1').ec2.images.values()].filter(
    (i) => i.name.startsWith(prefix) && i.state !== 'deregistered',
  );

describe('bake-ami e2e: Packer, the files a template names', () => {
  it('JSON: unchanged, the AMI is reused; a change to the file user_data_file names bakes a new one', async () => {
    write('json/user-data.sh', text('image/linux/user-data.sh'));
    write(
      'json/t.json',
      text('image/packer/golden-linux.json').replace('image/linux/user-data.sh', 'json/user-data.sh'),
    );
    const first = await bake('pf-json', 'json/t.json');
    expect(ok(first)).toEqual({ exit: 0, errors: [] });
    const again = await bake('pf-json', 'json/t.json');
    expect({ reused: again.outputs.reused, ami: again.outputs['ami-id'] }).toEqual({
      reused: 'true',
      ami: first.outputs['ami-id'],
    });

    appendFileSync(join(workdir, 'json/user-data.sh'), '\n# a new line in the user data\n');
    const changed = await bake('pf-json', 'json/t.json');
    expect(ok(changed)).toEqual({ exit: 0, errors: [] });
    expect(changed.outputs.reused).toBe('false');
    expect(changed.outputs['ami-id']).not.toBe(first.outputs['ami-id']);
    expect(changed.outputs.fingerprint).not.toBe(first.outputs.fingerprint);
  });

  it('HCL2 (the shipped golden-linux.pkr.hcl): packer init runs, bake_id and the tags reach the builder; a changed user_data_file bakes anew', async () => {
    write('hcl/user-data.sh', text('image/linux/user-data.sh'));
    write(
      'hcl/golden.pkr.hcl',
      text('image/packer/golden-linux.pkr.hcl').replace('image/linux/user-data.sh', 'hcl/user-data.sh'),
    );
    const first = await bake('pf-hcl', 'hcl/golden.pkr.hcl', { tags: 'team=web' });
    expect(ok(first)).toEqual({ exit: 0, errors: [] });
    expect(first.log).toMatch(/the console after the stop shows BAKE-SUCCEEDED/);
    expect(readFileSync(shim.log, 'utf8')).toMatch(
      /^init hcl\/golden\.pkr\.hcl\nbuild hcl\/golden\.pkr\.hcl$/m,
    );
    const builder = [...lc.world.region('us-east-1').ec2.instances.values()].find((i) =>
      i.tags.some((t) => t.Key === 'golden-ami:bake-id' && t.Value === first.state['bake-id']),
    );
    expect(builder?.tags).toEqual(expect.arrayContaining([{ Key: 'team', Value: 'web' }]));

    appendFileSync(join(workdir, 'hcl/user-data.sh'), '\n# a new line in the user data\n');
    const changed = await bake('pf-hcl', 'hcl/golden.pkr.hcl', { tags: 'team=web' });
    expect(ok(changed)).toEqual({ exit: 0, errors: [] });
    expect(changed.outputs.reused).toBe('false');
    expect(changed.outputs['ami-id']).not.toBe(first.outputs['ami-id']);
  });

  it('a provisioner script: changing it bakes anew', async () => {
    write('prov/local.sh', '#!/bin/sh\necho provisioned by version 1\n');
    const template = JSON.parse(text('image/packer/golden-linux.json')) as Record<string, unknown>;
    template.provisioners = [{ type: 'shell-local', script: 'prov/local.sh' }];
    write('prov/t.json', JSON.stringify(template, null, 2));
    const first = await bake('pf-prov', 'prov/t.json');
    expect(ok(first)).toEqual({ exit: 0, errors: [] });
    expect(first.log).toMatch(/provisioned by version 1/);

    write('prov/local.sh', '#!/bin/sh\necho provisioned by version 2\n');
    const changed = await bake('pf-prov', 'prov/t.json');
    expect(ok(changed)).toEqual({ exit: 0, errors: [] });
    expect(changed.log).toMatch(/provisioned by version 2/);
    expect(changed.outputs.reused).toBe('false');
    expect(changed.outputs['ami-id']).not.toBe(first.outputs['ami-id']);
  });

  it('what bake-ami cannot resolve is named in a warning and the AMI is not reused', async () => {
    const template = JSON.parse(text('image/packer/golden-linux.json')) as Record<string, unknown>;
    template.provisioners = [{ type: 'shell-local', script: '{{env `SCRIPT`}}' }];
    write('unres/t.json', JSON.stringify(template, null, 2));
    const first = await bake('pf-unres', 'unres/t.json', { 'dry-run': 'true' });
    expect(first.warnings).toContainEqual(
      'packer-template: the fingerprint cannot cover script in provisioner 1 (shell-local) of unres/t.json: "{{env `SCRIPT`}}", so no earlier AMI is reused',
    );
  });
});

describe('bake-ami e2e: an HCL2 build whose user data fails', () => {
  it('a .pkr.hcl file: the bake fails on the failure marker and no image exists', async () => {
    write('bad-file/user-data.sh', brokenUserData());
    write(
      'bad-file/golden.pkr.hcl',
      text('image/packer/golden-linux.pkr.hcl').replace('image/linux/user-data.sh', 'bad-file/user-data.sh'),
    );
    const r = await bake('pf-bad-file', 'bad-file/golden.pkr.hcl');
    expect(r.exitCode).toBe(1);
    expect(r.errors).toEqual([
      expect.stringMatching(/^phase proof failed: builder i-\w+ printed the failure marker "BAKE-FAILED"/),
    ]);
    expect(
      lc.logs.mutations
        .query({ operation: 'CreateImage' })
        .filter((m) => String((m.params as { Name?: string }).Name).startsWith('pf-bad-file-')),
    ).toHaveLength(1);
    expect(liveImages('pf-bad-file-').map((i) => i.imageId)).toEqual([]);
  });

  it('a directory whose template declares required_plugins: packer init runs, the bake fails and no image exists', async () => {
    const hcl = text('image/packer/golden-linux.pkr.hcl');
    const split = hcl.indexOf('variable "source_ami"');
    write('bad-dir/plugins.pkr.hcl', hcl.slice(0, split));
    write(
      'bad-dir/golden.pkr.hcl',
      hcl.slice(split).replace('image/linux/user-data.sh', 'bad-dir/user-data.sh'),
    );
    write('bad-dir/user-data.sh', brokenUserData());
    const r = await bake('pf-bad-dir', 'bad-dir');
    expect(readFileSync(shim.log, 'utf8')).toMatch(/^init bad-dir\nbuild bad-dir$/m);
    expect(r.exitCode).toBe(1);
    expect(r.errors).toEqual([
      expect.stringMatching(/^phase proof failed: builder i-\w+ printed the failure marker "BAKE-FAILED"/),
    ]);
    expect(liveImages('pf-bad-dir-').map((i) => i.imageId)).toEqual([]);
  });
});
