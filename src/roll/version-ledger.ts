// Template versions made during one run: groups sharing a template and source version share one
// new version; at the end, versions no started refresh uses are deleted again (finishVersions).
import { launchTemplateOf } from '../aws/group-templates.js';
import { isActive, latestRefresh } from '../aws/refreshes.js';
import { describeError } from '../core/errors.js';
import type { ActionContext } from '../core/context.js';
import {
  createImageVersion,
  deleteVersion,
  setDefaultVersion,
  templateLabel,
  type TemplateVersion,
} from './launch-template.js';

/** One numbered version of a launch template in a region. */
export interface VersionRef {
  region: string;
  templateId: string;
  version: number;
}

/** A VersionRef as a map key: equal refs, equal keys. */
type VersionKey = string & { readonly kind: 'VersionKey' };
const versionKey = (v: VersionRef) => `${v.region}|${v.templateId}|${v.version}` as VersionKey;

/** The version a template's source version gets for an AMI: made once, shared by the groups that need it. */
type SourceKey = string & { readonly kind: 'SourceKey' };
const sourceKey = (region: string, t: TemplateVersion, amiId: string) =>
  `${region}|${t.id}|${t.version}|${amiId}` as SourceKey;

export interface SettledVersion {
  region: string;
  template: TemplateVersion;
  version: number;
  /** A started refresh uses it. */
  used: boolean;
  /** The group whose StartInstanceRefresh got no clear answer and may be using it. */
  unsureFor?: string;
}

export class VersionLedger {
  private readonly made = new Map<
    SourceKey,
    { region: string; template: TemplateVersion; version: Promise<number> }
  >();
  private readonly used = new Set<VersionKey>();
  /** Versions a start whose answer never came may be using: neither deleted nor made default. */
  private readonly unsure = new Map<VersionKey, string>();

  versionFor(ctx: ActionContext, region: string, template: TemplateVersion, amiId: string): Promise<number> {
    const key = sourceKey(region, template, amiId);
    let entry = this.made.get(key);
    if (!entry) {
      entry = { region, template, version: createImageVersion(ctx, region, template, amiId) };
      this.made.set(key, entry);
    }
    return entry.version;
  }

  /** Marks a version a started refresh uses, so it is kept (and made default when asked). */
  use(v: VersionRef): void {
    this.used.add(versionKey(v));
  }

  /** Marks a version a StartInstanceRefresh may have used: aborted or unanswered after it was sent. */
  maybeUsed(v: VersionRef, group: string): void {
    this.unsure.set(versionKey(v), group);
  }

  /** Created versions, each with whether a started refresh uses (or may use) it. */
  async settled(): Promise<SettledVersion[]> {
    const out: SettledVersion[] = [];
    for (const e of this.made.values()) {
      const version = await e.version.catch(() => undefined);
      if (version === undefined) continue;
      const key = versionKey({ region: e.region, templateId: e.template.id, version });
      const unsureFor = this.unsure.get(key);
      out.push({
        region: e.region,
        template: e.template,
        version,
        used: this.used.has(key),
        ...(unsureFor !== undefined ? { unsureFor } : {}),
      });
    }
    return out;
  }
}

/**
 * After a start with no clear answer: does the group's active refresh deploy this version? True
 * as well when that cannot be read (cancelled, or AWS unreachable): then the version is kept.
 */
async function mayBeDeploying(ctx: ActionContext, group: string, v: VersionRef): Promise<boolean> {
  try {
    const r = await latestRefresh(ctx.clients.autoScaling(v.region), group, { signal: ctx.signal });
    const to = launchTemplateOf(r?.DesiredConfiguration);
    return Boolean(
      r && isActive(r) && to?.LaunchTemplateId === v.templateId && to.Version === String(v.version),
    );
  } catch {
    return true;
  }
}

/**
 * After the starts: the versions a started refresh uses become default when asked; versions
 * no refresh uses (their start failed) are deleted so nothing is left half-done.
 */
export async function finishVersions(
  ctx: ActionContext,
  ledger: VersionLedger,
  makeDefault: boolean,
): Promise<string[]> {
  const problems: string[] = [];
  for (const v of await ledger.settled()) {
    const problem = await finishVersion(ctx, v, makeDefault);
    if (problem) problems.push(problem);
  }
  return problems;
}

/** One made version: kept when a start may use it, deleted when unused, made default when asked. */
async function finishVersion(
  ctx: ActionContext,
  v: SettledVersion,
  makeDefault: boolean,
): Promise<string | undefined> {
  const label = `launch template ${templateLabel(v.template)} version ${v.version} in ${v.region}`;
  const ref = { region: v.region, templateId: v.template.id, version: v.version };
  if (v.unsureFor && !v.used && (await mayBeDeploying(ctx, v.unsureFor, ref)))
    return `kept ${label}: StartInstanceRefresh for ${v.unsureFor} got no clear answer and a refresh may be deploying it; check the group's refreshes before deleting it`;
  try {
    if (!v.used) {
      await deleteVersion(ctx, v.region, v.template.id, v.version);
      ctx.log.info(`Deleted unused ${label}`);
    } else if (makeDefault) {
      await setDefaultVersion(ctx, v.region, v.template.id, v.version);
      ctx.log.info(`Made ${label} the default`);
    }
  } catch (err) {
    return `${v.used ? 'could not make' : 'could not delete unused'} ${label}${v.used ? ' the default' : ''}: ${describeError(err)}`;
  }
  return undefined;
}
