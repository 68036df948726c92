// What a Packer template names, resolved as Packer 1.6.6 resolves it (checked against it):
// path fields against the directory Packer runs in, HCL's file() against the template's directory.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseHcl } from '../../../../src/bake/packer/hcl.js';
import { loadPackerTemplate } from '../../../../src/bake/packer/template.js';
import { listTags, readListTags } from '../../../../src/bake/tags.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'packer-template-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const write = (files: Record<string, string>) => {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
};
const load = async (path: string, vars: Record<string, string> = {}) => {
  const r = await loadPackerTemplate(path, { workingDirectory: dir, vars, region: 'us-east-1' });
  if (!r.template) throw new Error(r.problem);
  return r.template;
};
const refs = (t: Awaited<ReturnType<typeof load>>) => t.references.map((r) => `${r.role} ${r.path}`);

const HCL = `
packer {
  required_plugins {
    amazon = { version = ">= 1.2.0", source = "github.com/hashicorp/amazon" }
  }
}
variable "bake_id" { type = string }
variable "scripts_dir" {
  type    = string
  default = "scripts"
}
locals { motd = "motd.txt" }
source "amazon-ebs" "web" {
  ami_name       = "x-\${var.bake_id}"
  user_data_file = "\${path.root}/user-data.sh"
  run_tags = { "golden-ami:bake-id" = var.bake_id } # a comment { with braces
}
build {
  sources = ["source.amazon-ebs.web"]
  provisioner "shell" {
    scripts = ["\${var.scripts_dir}/01.sh", "\${var.scripts_dir}/02.sh"]
    inline  = [<<-EOT
      echo "}" # not the end
    EOT
    ]
  }
  provisioner "file" {
    source      = "files/"
    destination = "/tmp"
  }
  provisioner "file" {
    source      = "/etc/remote"
    destination = "out"
    direction   = "download"
  }
  provisioner "shell-local" { inline = [file(local.motd)] }
}
`;

describe('Packer templates: what they name', () => {
  it('HCL: user data and scripts against the working directory, file() against the template directory, directories read whole', async () => {
    write({
      'packer/web.pkr.hcl': HCL,
      'packer/user-data.sh': 'echo BAKE-SUCCEEDED',
      'packer/motd.txt': 'hi',
      'scripts/01.sh': 'a',
      'scripts/02.sh': 'b',
      'files/a.conf': '1',
      'files/sub/b.conf': '2',
    });
    const t = await load('packer/web.pkr.hcl');
    expect(t.format).toBe('hcl');
    expect(t.requiredPlugins).toBe(true);
    expect(t.declaredVars).toEqual(['bake_id', 'scripts_dir']);
    expect(t.unresolved).toEqual([]);
    expect(refs(t).sort()).toEqual(
      [
        'user-data packer/user-data.sh',
        'provisioner scripts/01.sh',
        'provisioner scripts/02.sh',
        'file files/a.conf',
        'file files/sub/b.conf',
        'provisioner packer/motd.txt',
      ].sort(),
    );
  });

  it('HCL directory: its *.auto.pkrvars.hcl and packer-vars set the variables paths use; what cannot be known is listed', async () => {
    write({
      'tpl/main.pkr.hcl': `variable "script" { type = string }\nvariable "other" { type = string }\nbuild {\n  provisioner "shell" { script = var.script }\n  provisioner "shell" { script = var.other }\n  provisioner "shell" { script = "\${env("HOME")}/x" }\n}\n`,
      'tpl/v.auto.pkrvars.hcl': 'script = "s/from-auto.sh"\n',
      's/from-auto.sh': 'x',
    });
    const t = await load('tpl');
    expect(t.directory).toBe(true);
    expect(t.varFiles.map((f) => f.path)).toEqual(['tpl/v.auto.pkrvars.hcl']);
    expect(refs(t)).toEqual(['provisioner s/from-auto.sh']);
    expect(t.unresolved).toEqual([
      'script in tpl/main.pkr.hcl: var.other',
      'script in tpl/main.pkr.hcl: "${env("HOME")}/x"',
    ]);
    const given = await load('tpl', { other: 's/from-auto.sh' });
    expect(given.unresolved).toEqual(['script in tpl/main.pkr.hcl: "${env("HOME")}/x"']);
  });

  it('JSON: user_data_file, scripts and file sources against the working directory, {{user}} and {{template_dir}} resolved', async () => {
    write({
      't/golden.json': JSON.stringify({
        variables: { ud: 'image/ud.sh' },
        builders: [{ type: 'amazon-ebs', user_data_file: '{{user `ud`}}' }],
        provisioners: [
          { type: 'shell', script: '{{template_dir}}/p.sh' },
          { type: 'file', source: 'f.txt', destination: '/tmp/f' },
          { type: 'shell', scripts: ['{{env `X`}}'] },
        ],
      }),
      'image/ud.sh': 'u',
      't/p.sh': 'p',
    });
    const t = await load('t/golden.json');
    expect(t.format).toBe('json');
    expect(refs(t)).toEqual(['user-data image/ud.sh', 'provisioner t/p.sh']);
    expect(t.unresolved).toEqual([
      'scripts in provisioner 3 (shell) of t/golden.json: ["{{env `X`}}"]',
      'source in provisioner 2 (file) of t/golden.json: f.txt (no such file)',
    ]);
  });

  it('a file bake-ami cannot parse is named, and its variables are still found by their headers', async () => {
    write({ 'odd.pkr.hcl': 'variable "bake_id" {\n  type = string\n}\n@@@ not hcl\n' });
    const t = await load('odd.pkr.hcl');
    expect(t.unresolved).toEqual([
      expect.stringMatching(/^odd\.pkr\.hcl: bake-ami cannot read its structure \(line 4: /),
    ]);
    expect(t.declaredVars).toEqual(['bake_id']);
  });

  it('refuses a missing template or an empty directory as an input problem', async () => {
    write({ 'empty/readme.md': '' });
    const o = { workingDirectory: dir, vars: {}, region: 'us-east-1' };
    expect((await loadPackerTemplate('nope.pkr.hcl', o)).problem).toBe(
      'packer-template: cannot read "nope.pkr.hcl" (no such file or directory)',
    );
    expect((await loadPackerTemplate('empty', o)).problem).toMatch(
      /holds no \*\.pkr\.hcl or \*\.pkr\.json file/,
    );
  });

  it('parses one-line blocks, heredocs and comments', () => {
    expect(parseHcl('source "null" "n" { communicator = "none" }\n/* x { */\n')).toEqual([
      {
        kind: 'block',
        type: 'source',
        labels: ['null', 'n'],
        body: [{ kind: 'attribute', name: 'communicator', expr: '"none"' }],
      },
    ]);
  });
});

describe('recorded lists in tags', () => {
  it('spreads a long list over values of at most 256 characters and reads it back; none differs from not recorded', () => {
    const regions = Array.from({ length: 20 }, (_, i) => `ap-southeast-${i + 10}`);
    const tags = listTags('golden-ami:copy-regions', regions);
    expect(Object.keys(tags)).toEqual(['golden-ami:copy-regions', 'golden-ami:copy-regions-2']);
    expect(Object.values(tags).every((v) => v.length <= 256)).toBe(true);
    expect(readListTags(tags, 'golden-ami:copy-regions')).toEqual(regions);
    expect(readListTags(listTags('golden-ami:tag-keys', []), 'golden-ami:tag-keys')).toEqual([]);
    expect(readListTags({}, 'golden-ami:tag-keys')).toBeUndefined();
  });
});
