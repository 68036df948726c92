// A Packer template as Packer loads it: a legacy JSON file, or HCL2 (a .pkr.hcl file, or a
// directory of them with its *.auto.pkrvars.hcl), with every file it names read, so the
// fingerprint covers all that makes the image.
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { blocksOf, HclSyntaxError, parseHcl, type HclItem } from './hcl.js';
import { evaluate } from './hcl-eval.js';
import { hclScope, namedInHcl, namedInJson, type Named, type NamedPath } from './references.js';

/** One file of the template, by the path Packer reads it at. */
export interface TemplateFile {
  path: string;
  content: string;
}

export interface PackerReference extends NamedPath {
  content: string;
  /** sha256 of the bytes (a file need not be text). */
  digest: string;
}

export interface PackerTemplate {
  /** As the user wrote it: what `packer build` is given. */
  path: string;
  format: 'json' | 'hcl';
  directory: boolean;
  /** The template's own files (one, or a directory's *.pkr.hcl / *.pkr.json). */
  files: TemplateFile[];
  /** A directory's *.auto.pkrvars.hcl, which Packer loads by itself. */
  varFiles: TemplateFile[];
  /** HCL: the variables the template declares (Packer refuses a -var it does not declare). */
  declaredVars?: string[];
  /** HCL: a packer { required_plugins } block, so `packer init` runs first. */
  requiredPlugins: boolean;
  references: PackerReference[];
  /** What names a file in a way bake-ami cannot resolve; reuse is refused while any is listed. */
  unresolved: string[];
}

/** Packer's own rule: a directory or a *.pkr.hcl / *.pkr.json file is HCL2, anything else legacy JSON. */
export const isHclTemplate = (path: string, directory: boolean): boolean =>
  directory || /\.pkr\.(hcl|json)$/.test(path);

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const errorCode = (err: unknown) => (err as NodeJS.ErrnoException).code ?? String(err);

/**
 * Loads the template and what it names. A template that cannot be read is an input problem
 * (returned); a file it names that cannot be found or resolved is only `unresolved`, since
 * Packer itself reports a file it cannot open.
 */
export async function loadPackerTemplate(
  path: string,
  o: { workingDirectory: string; vars: Record<string, string>; region: string },
): Promise<{ template?: PackerTemplate; problem?: string }> {
  const full = isAbsolute(path) ? path : resolve(o.workingDirectory, path);
  const kind = await stat(full).then(
    (s) => (s.isDirectory() ? 'directory' : 'file'),
    (err: unknown) => errorCode(err),
  );
  if (kind !== 'file' && kind !== 'directory')
    return {
      problem: `packer-template: cannot read ${JSON.stringify(path)} (${kind === 'ENOENT' ? 'no such file or directory' : kind})`,
    };
  const directory = kind === 'directory';
  const names = directory ? (await readdir(full)).sort() : [basename(path)];
  const at = (name: string) => (directory ? join(path, name) : path);
  const read = (name: string) => readFile(directory ? join(full, name) : full, 'utf8');
  const templateNames = directory ? names.filter((n) => /\.pkr\.(hcl|json)$/.test(n)) : names;
  if (!templateNames.length)
    return {
      problem: `packer-template: the directory ${JSON.stringify(path)} holds no *.pkr.hcl or *.pkr.json file`,
    };
  const files = await Promise.all(templateNames.map(async (n) => ({ path: at(n), content: await read(n) })));
  const varFiles = await Promise.all(
    names
      .filter((n) => directory && n.endsWith('.auto.pkrvars.hcl'))
      .map(async (n) => ({ path: at(n), content: await read(n) })),
  );
  const template: PackerTemplate = {
    path,
    format: isHclTemplate(path, directory) ? 'hcl' : 'json',
    directory,
    files,
    varFiles,
    requiredPlugins: false,
    references: [],
    unresolved: [],
  };
  const named = template.format === 'json' ? jsonNamed(template, o) : hclNamed(template, o);
  template.unresolved.push(...named.unresolved);
  await readReferences(template, named.paths, o.workingDirectory);
  return { template };
}

function jsonNamed(
  t: PackerTemplate,
  o: { workingDirectory: string; vars: Record<string, string>; region: string },
): Named {
  const file = t.files[0]!;
  let parsed: unknown;
  try {
    parsed = JSON.parse(file.content);
  } catch (err) {
    return { paths: [], unresolved: [`${file.path}: not valid JSON (${(err as Error).message})`] };
  }
  return namedInJson(file.path, (parsed ?? {}) as Record<string, unknown>, {
    vars: { region: o.region, ...o.vars },
    cwd: o.workingDirectory,
  });
}

function hclNamed(
  t: PackerTemplate,
  o: { workingDirectory: string; vars: Record<string, string>; region: string },
): Named {
  const unresolved: string[] = [];
  const parse = (f: TemplateFile): HclItem[] => {
    if (f.path.endsWith('.json')) {
      unresolved.push(`${f.path}: the files a .pkr.json template names are not followed`);
      return [];
    }
    try {
      return parseHcl(f.content);
    } catch (err) {
      if (!(err instanceof HclSyntaxError)) throw err;
      unresolved.push(`${f.path}: bake-ami cannot read its structure (${err.message})`);
      return [];
    }
  };
  const parsed = t.files.map((f) => ({ file: f.path, items: parse(f) }));
  const all = parsed.flatMap((p) => p.items);
  // Packer's basedir: the template's directory, or the directory given.
  const root = t.directory ? t.path : dirname(t.path);
  const fromVarFiles: Record<string, string> = {};
  for (const f of t.varFiles)
    for (const item of parse(f)) {
      const value = item.kind === 'attribute' ? evaluate(item.expr, {}) : undefined;
      if (item.kind === 'attribute' && typeof value === 'string') fromVarFiles[item.name] = value;
    }
  const scope = hclScope(all, {
    root,
    cwd: o.workingDirectory,
    values: { region: o.region, ...fromVarFiles, ...o.vars },
  });
  // A file bake-ami cannot parse still declares its variables, found by their block headers.
  const unparsed = t.files.filter((f) => unresolved.some((u) => u.startsWith(`${f.path}:`)));
  t.declaredVars = [
    ...blocksOf(all, 'variable').flatMap((b) => (b.labels[0] ? [b.labels[0]] : [])),
    ...blocksOf(all, 'variables').flatMap((b) => b.body.map((a) => (a.kind === 'attribute' ? a.name : ''))),
    ...unparsed.flatMap((f) => [...f.content.matchAll(/^\s*variable\s+"([^"]+)"/gm)].map((m) => m[1]!)),
  ].filter(Boolean);
  t.requiredPlugins = blocksOf(all, 'packer').some((p) => blocksOf(p.body, 'required_plugins').length > 0);
  const named = parsed.map((p) => namedInHcl(p.file, p.items, { scope, root }));
  return {
    paths: named.flatMap((n) => n.paths),
    unresolved: [...unresolved, ...named.flatMap((n) => n.unresolved)],
  };
}

/** Reads every named file (a directory: every file under it, in order); what is missing is unresolved. */
async function readReferences(t: PackerTemplate, paths: NamedPath[], cwd: string): Promise<void> {
  const seen = new Set<string>();
  const add = async (n: NamedPath): Promise<void> => {
    const key = `${n.role} ${n.path}`;
    if (seen.has(key)) return;
    seen.add(key);
    const full = isAbsolute(n.path) ? n.path : resolve(cwd, n.path);
    const s = await stat(full).catch((err: unknown) => errorCode(err));
    if (typeof s === 'string') {
      t.unresolved.push(`${n.origin}: ${n.path} (${s === 'ENOENT' ? 'no such file' : s})`);
      return;
    }
    if (s.isDirectory()) {
      for (const entry of (await readdir(full)).sort()) await add({ ...n, path: join(n.path, entry) });
      return;
    }
    const bytes = await readFile(full);
    t.references.push({ ...n, content: bytes.toString('utf8'), digest: sha256(bytes) });
  };
  for (const n of paths) await add(n);
}
