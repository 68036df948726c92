// The files a Packer template names, found as Packer resolves them: plain path fields (user data,
// provisioner scripts, file sources) against the directory Packer runs in, HCL's file() family
// against the template's own directory (path.root). What cannot be known before Packer runs is
// listed, never guessed.
import { dirname } from 'node:path';
import { attributesOf, blocksOf, type HclBlock, type HclItem } from './hcl.js';
import { callsOf, evaluate, type HclScope } from './hcl-eval.js';

export type ReferenceRole = 'user-data' | 'provisioner' | 'file';

/** A file the template names, before it is read. */
export interface NamedPath {
  /** Where the template names it, for messages: `user_data_file in golden.pkr.hcl`. */
  origin: string;
  /** As Packer would open it: relative paths are relative to the directory Packer runs in. */
  path: string;
  role: ReferenceRole;
}

export interface Named {
  paths: NamedPath[];
  /** What names a file in a way bake-ami cannot resolve, one line each. */
  unresolved: string[];
}

/** Provisioner fields that hold local paths, by provisioner type ('*': any type). */
const PROVISIONER_PATHS: Record<string, readonly string[]> = {
  '*': ['script', 'scripts', 'playbook_file'],
  file: ['source', 'sources'],
};
const FILE_FUNCTIONS = ['file', 'filebase64', 'templatefile', 'fileset'] as const;

function provisionerFields(type: string): readonly string[] {
  return [...PROVISIONER_PATHS['*']!, ...(PROVISIONER_PATHS[type] ?? [])];
}

const asList = (v: string | string[]): string[] => (Array.isArray(v) ? v : [v]);

// ---- JSON templates: {{user `x`}}, {{template_dir}} and {{pwd}} are resolved; any other {{…}} is not.

type Json = Record<string, unknown>;

function jsonValue(
  raw: unknown,
  vars: Record<string, string>,
  dirs: { template: string; cwd: string },
): string[] | undefined {
  const values = Array.isArray(raw) ? raw : [raw];
  const out: string[] = [];
  for (const v of values) {
    if (typeof v !== 'string') return undefined;
    let known = true;
    const s = v.replace(/\{\{\s*([^}]*?)\s*\}\}/g, (_m, inner: string) => {
      const user = /^user\s+`([^`]+)`$/.exec(inner);
      const value =
        user && user[1]! in vars
          ? vars[user[1]!]
          : inner === 'template_dir'
            ? dirs.template
            : inner === 'pwd'
              ? dirs.cwd
              : undefined;
      if (value === undefined) known = false;
      return value ?? '';
    });
    if (!known) return undefined;
    out.push(s);
  }
  return out;
}

/** Paths a legacy JSON template names (builders' user_data_file, provisioners' scripts and sources). */
export function namedInJson(
  file: string,
  template: Json,
  o: { vars: Record<string, string>; cwd: string },
): Named {
  const named: Named = { paths: [], unresolved: [] };
  const defaults = Object.fromEntries(
    Object.entries((template.variables as Json | undefined) ?? {}).filter(
      (e): e is [string, string] => typeof e[1] === 'string',
    ),
  );
  const vars = { ...defaults, ...o.vars };
  const dirs = { template: dirname(file), cwd: o.cwd };
  const take = (section: Json, field: string, role: ReferenceRole, where: string) => {
    if (section[field] === undefined) return;
    const origin = `${field} in ${where} of ${file}`;
    const values = jsonValue(section[field], vars, dirs);
    if (!values) named.unresolved.push(`${origin}: ${JSON.stringify(section[field])}`);
    else for (const path of values) named.paths.push({ origin, path, role });
  };
  const list = (key: string) => (Array.isArray(template[key]) ? (template[key] as Json[]) : []);
  list('builders').forEach((b, i) => take(b, 'user_data_file', 'user-data', `builder ${i + 1}`));
  list('provisioners').forEach((p, i) => {
    const type = typeof p.type === 'string' ? p.type : '';
    if (type === 'file' && p.direction === 'download') return;
    for (const field of provisionerFields(type))
      take(p, field, type === 'file' ? 'file' : 'provisioner', `provisioner ${i + 1} (${type})`);
  });
  return named;
}

// ---- HCL templates.

/** What HCL expressions can use before Packer runs: path.*, var.* (defaults, var files, -var) and local.*. */
export function hclScope(
  items: HclItem[],
  o: { root: string; cwd: string; values: Record<string, string> },
): HclScope {
  const scope: HclScope = { 'path.root': o.root, 'path.cwd': o.cwd };
  for (const v of blocksOf(items, 'variable')) {
    const name = v.labels[0];
    const d = v.body.find((x) => x.kind === 'attribute' && x.name === 'default');
    const value = d?.kind === 'attribute' ? evaluate(d.expr, scope) : undefined;
    if (name && typeof value === 'string') scope[`var.${name}`] = value;
  }
  for (const [name, value] of Object.entries(o.values)) scope[`var.${name}`] = value;
  for (const l of blocksOf(items, 'locals'))
    for (const a of l.body) {
      const value = a.kind === 'attribute' ? evaluate(a.expr, scope) : undefined;
      if (a.kind === 'attribute' && typeof value === 'string') scope[`local.${a.name}`] = value;
    }
  return scope;
}

function provisionerOf(path: HclBlock[]): HclBlock | undefined {
  return [...path].reverse().find((b) => b.type === 'provisioner');
}

/** Paths an HCL template names: path fields against cwd, file()/templatefile() against path.root. */
export function namedInHcl(file: string, items: HclItem[], o: { scope: HclScope; root: string }): Named {
  const named: Named = { paths: [], unresolved: [] };
  for (const { attr, path } of attributesOf(items)) {
    if (path[0]?.type === 'variable' || path[0]?.type === 'packer') continue;
    const origin = `${attr.name} in ${file}`;
    const provisioner = provisionerOf(path);
    const type = provisioner?.labels[0] ?? '';
    const downloads = provisioner?.body.some(
      (x) => x.kind === 'attribute' && x.name === 'direction' && evaluate(x.expr, o.scope) === 'download',
    );
    const pathField =
      attr.name === 'user_data_file' ||
      (provisioner !== undefined && !downloads && provisionerFields(type).includes(attr.name));
    const role: ReferenceRole = attr.name.startsWith('user_data')
      ? 'user-data'
      : type === 'file'
        ? 'file'
        : 'provisioner';
    // A field's own value: a path as Packer's plugins open it, relative to where Packer runs.
    if (pathField && !/\b(file|filebase64|templatefile)\s*\(/.test(attr.expr)) {
      const value = evaluate(attr.expr, o.scope);
      if (value === undefined) named.unresolved.push(`${origin}: ${attr.expr}`);
      else for (const p of asList(value)) named.paths.push({ origin, path: p, role });
    }
    // file("x") and friends read relative to the template's directory (Packer's basedir).
    for (const call of callsOf(attr.expr, FILE_FUNCTIONS)) {
      const where = `${call.name}(${call.arg}) in ${attr.name} of ${file}`;
      const value = call.name === 'fileset' ? undefined : evaluate(call.arg, o.scope);
      if (typeof value !== 'string') named.unresolved.push(where);
      else
        named.paths.push({
          origin: where,
          path: value.startsWith('/') ? value : `${o.root}/${value}`,
          role,
        });
    }
  }
  return named;
}
