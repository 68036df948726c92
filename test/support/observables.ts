// Every observable of a deploy-ami environment, read back through the AWS SDK and the Octopus API as a
// user would (never localcloud's internals), a human-readable diff between two readings, and the
// invariant of issue 24: after a run, the environment equals the reading before it or the complete
// intended state, and deploy-ami's `status` says which.
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeInstanceRefreshesCommand,
  type AutoScalingGroup,
  type LaunchTemplateSpecification,
} from '@aws-sdk/client-auto-scaling';
import {
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplatesCommand,
  DescribeLaunchTemplateVersionsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { GetParameterCommand, GetParameterHistoryCommand, SSMClient } from '@aws-sdk/client-ssm';

export interface ParameterReading {
  /** The newest version's value and number. */
  value: string;
  version: number;
  /** Every label: the version it is on and that version's value. */
  labels: Record<string, { version: number; value: string }>;
}

/** A launch source exactly as the group carries it (LaunchTemplate, MixedInstancesPolicy or a launch configuration). */
export type LaunchSource = Record<string, unknown>;

export interface GroupReading {
  source: LaunchSource;
  desired: number;
  min: number;
  max: number;
  targetGroups: string[];
  /** Statuses of refreshes still active (Pending, InProgress, Cancelling, RollbackInProgress, Baking). */
  activeRefreshes: string[];
  /** The AMI of every InService instance, sorted (so two instances on one AMI are listed twice). */
  amis: string[];
  /** Instances not InService (Pending, Terminating, …), with their lifecycle state. */
  notInService: string[];
  /** What each launch template of the source resolves to now (`resolve:ssm:` read from SSM): base first. */
  launches: string[];
}

export interface TemplateReading {
  /** Version number → ImageId as written (an AMI id or `resolve:ssm:…`). */
  versions: Record<string, string>;
  latest: { version: number; ami: string };
  default: { version: number; ami: string };
}

export interface OctopusReading {
  /** Targets not named after an instance of `instanceGroups`: name, environments, roles. */
  fixed: string[];
  /** Instance ids of `instanceGroups` (any region) that have a target. */
  instanceTargets: string[];
}

export interface Snapshot {
  parameters: Record<string, ParameterReading | null>;
  /** `<region>/<group>` */
  groups: Record<string, GroupReading | null>;
  /** `<region>/<template name>` */
  templates: Record<string, TemplateReading | null>;
  /** `<region>/<ami>` → state, every image the account owns in the regions. */
  images: Record<string, string>;
  /**
   * `<region>/<ami>` → deregistration protection, for every image on which it is not `disabled`
   * (with its 24-hour cooldown it is not put back by a disable, so no failed run may turn it on).
   */
  protection: Record<string, string>;
  octopus: OctopusReading;
  /** Running instance ids in the regions (to tell a live instance's target from an orphan's). */
  liveInstances: string[];
}

export interface Scope {
  url: string;
  regions: string[];
  /** The parameters, in the first region. */
  parameters: string[];
  groups: { region: string; name: string }[];
  /** Launch template names per region. */
  templates: { region: string; name: string }[];
  /** Groups whose instances' targets are counted in `instanceTargets` rather than `fixed`. */
  instanceGroups: string[];
  octopus?: { url: string; apiKey: string; environment?: string };
  credentials: { accessKeyId: string; secretAccessKey: string };
}

const ACTIVE = ['Pending', 'InProgress', 'Cancelling', 'RollbackInProgress', 'Baking'];
const SSM_PREFIX = 'resolve:ssm:';

class Readers {
  private made = new Map<string, { destroy(): void }>();
  constructor(private readonly scope: Scope) {}
  private get<T extends { destroy(): void }>(key: string, make: () => T): T {
    if (!this.made.has(key)) this.made.set(key, make());
    return this.made.get(key) as T;
  }
  private cfg(region: string) {
    return { region, endpoint: this.scope.url, credentials: this.scope.credentials, maxAttempts: 10 };
  }
  ec2 = (region: string) => this.get(`ec2:${region}`, () => new EC2Client(this.cfg(region)));
  asg = (region: string) => this.get(`asg:${region}`, () => new AutoScalingClient(this.cfg(region)));
  ssm = (region: string) => this.get(`ssm:${region}`, () => new SSMClient(this.cfg(region)));
  destroy() {
    for (const c of this.made.values()) c.destroy();
  }
}

async function readParameter(ssm: SSMClient, name: string): Promise<ParameterReading | null> {
  const history: { Version?: number; Value?: string; Labels?: string[] }[] = [];
  let NextToken: string | undefined;
  try {
    do {
      const out = await ssm.send(new GetParameterHistoryCommand({ Name: name, NextToken, MaxResults: 50 }));
      history.push(...(out.Parameters ?? []));
      NextToken = out.NextToken;
    } while (NextToken);
  } catch (err) {
    if ((err as { name?: string }).name === 'ParameterNotFound') return null;
    throw err;
  }
  if (!history.length) return null;
  const newest = history.reduce((a, b) => ((b.Version ?? 0) > (a.Version ?? 0) ? b : a));
  const labels: ParameterReading['labels'] = {};
  for (const h of history)
    for (const l of h.Labels ?? []) labels[l] = { version: h.Version ?? 0, value: h.Value ?? '' };
  return { value: newest.Value ?? '', version: newest.Version ?? 0, labels: sortKeys(labels) };
}

async function resolveImage(r: Readers, region: string, imageId: string): Promise<string> {
  if (!imageId.startsWith(SSM_PREFIX)) return imageId;
  try {
    const out = await r.ssm(region).send(new GetParameterCommand({ Name: imageId.slice(SSM_PREFIX.length) }));
    return out.Parameter?.Value ?? `${imageId} (no value)`;
  } catch (err) {
    return `${imageId} (${(err as { name?: string }).name ?? 'error'})`;
  }
}

async function templateVersionImage(
  r: Readers,
  region: string,
  spec: LaunchTemplateSpecification,
): Promise<string> {
  try {
    const out = await r.ec2(region).send(
      new DescribeLaunchTemplateVersionsCommand({
        ...(spec.LaunchTemplateId
          ? { LaunchTemplateId: spec.LaunchTemplateId }
          : { LaunchTemplateName: spec.LaunchTemplateName }),
        Versions: [spec.Version ?? '$Default'],
      }),
    );
    const image = out.LaunchTemplateVersions?.[0]?.LaunchTemplateData?.ImageId;
    return image ? resolveImage(r, region, image) : '(no ImageId)';
  } catch (err) {
    return `(version ${spec.Version ?? '$Default'}: ${(err as { name?: string }).name ?? 'error'})`;
  }
}

/** The launch source as written, without what AWS adds on describe that the user never wrote. */
function launchSource(g: AutoScalingGroup): LaunchSource {
  if (g.LaunchTemplate) return { LaunchTemplate: clean(g.LaunchTemplate) };
  if (g.MixedInstancesPolicy) return { MixedInstancesPolicy: clean(g.MixedInstancesPolicy) };
  if (g.LaunchConfigurationName) return { LaunchConfigurationName: g.LaunchConfigurationName };
  return {};
}

function sourceSpecs(source: LaunchSource): LaunchTemplateSpecification[] {
  const lt = source.LaunchTemplate as LaunchTemplateSpecification | undefined;
  if (lt) return [lt];
  const mixed = source.MixedInstancesPolicy as
    | {
        LaunchTemplate?: {
          LaunchTemplateSpecification?: LaunchTemplateSpecification;
          Overrides?: { LaunchTemplateSpecification?: LaunchTemplateSpecification }[];
        };
      }
    | undefined;
  const base = mixed?.LaunchTemplate?.LaunchTemplateSpecification;
  if (!base) return [];
  return [
    base,
    ...(mixed.LaunchTemplate?.Overrides ?? []).flatMap((o) =>
      o.LaunchTemplateSpecification ? [o.LaunchTemplateSpecification] : [],
    ),
  ];
}

async function readGroups(r: Readers, scope: Scope): Promise<Snapshot['groups']> {
  const out: Snapshot['groups'] = {};
  for (const region of scope.regions) {
    const names = scope.groups.filter((g) => g.region === region).map((g) => g.name);
    if (!names.length) continue;
    const described = await r
      .asg(region)
      .send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: names }));
    const byName = new Map((described.AutoScalingGroups ?? []).map((g) => [g.AutoScalingGroupName, g]));
    const ids = [...byName.values()].flatMap((g) => (g.Instances ?? []).map((i) => i.InstanceId!));
    const amiOf = new Map<string, string>();
    if (ids.length) {
      const inst = await r.ec2(region).send(new DescribeInstancesCommand({ InstanceIds: ids }));
      for (const res of inst.Reservations ?? [])
        for (const i of res.Instances ?? []) amiOf.set(i.InstanceId!, i.ImageId ?? '');
    }
    for (const name of names) {
      const g = byName.get(name);
      if (!g) {
        out[`${region}/${name}`] = null;
        continue;
      }
      const refreshes = await r
        .asg(region)
        .send(new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: name }));
      const source = launchSource(g);
      const launches: string[] = [];
      for (const spec of sourceSpecs(source)) launches.push(await templateVersionImage(r, region, spec));
      out[`${region}/${name}`] = {
        source,
        desired: g.DesiredCapacity ?? 0,
        min: g.MinSize ?? 0,
        max: g.MaxSize ?? 0,
        targetGroups: [...(g.TargetGroupARNs ?? [])].sort(),
        activeRefreshes: (refreshes.InstanceRefreshes ?? [])
          .filter((x) => ACTIVE.includes(x.Status ?? ''))
          .map((x) => `${x.InstanceRefreshId}: ${x.Status}`),
        amis: (g.Instances ?? [])
          .filter((i) => i.LifecycleState === 'InService')
          .map((i) => amiOf.get(i.InstanceId!) ?? '(unknown)')
          .sort(),
        notInService: (g.Instances ?? [])
          .filter((i) => i.LifecycleState !== 'InService')
          .map((i) => `${amiOf.get(i.InstanceId!) ?? '?'} ${i.LifecycleState}`)
          .sort(),
        launches,
      };
    }
  }
  return out;
}

async function readTemplates(r: Readers, scope: Scope): Promise<Snapshot['templates']> {
  const out: Snapshot['templates'] = {};
  for (const { region, name } of scope.templates) {
    const key = `${region}/${name}`;
    const ec2 = r.ec2(region);
    let t;
    try {
      t = (await ec2.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateNames: [name] })))
        .LaunchTemplates?.[0];
    } catch {
      t = undefined;
    }
    if (!t) {
      out[key] = null;
      continue;
    }
    const versions: Record<string, string> = {};
    let NextToken: string | undefined;
    do {
      const page = await ec2.send(
        new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: name, NextToken }),
      );
      for (const v of page.LaunchTemplateVersions ?? [])
        versions[String(v.VersionNumber)] = v.LaunchTemplateData?.ImageId ?? '';
      NextToken = page.NextToken;
    } while (NextToken);
    const at = async (n: number | undefined) => ({
      version: n ?? 0,
      ami: await resolveImage(r, region, versions[String(n)] ?? '(missing)'),
    });
    out[key] = {
      versions: sortKeys(versions, (a, b) => Number(a) - Number(b)),
      latest: await at(t.LatestVersionNumber),
      default: await at(t.DefaultVersionNumber),
    };
  }
  return out;
}

async function readImagesAndInstances(r: Readers, scope: Scope) {
  const images: Record<string, string> = {};
  const protection: Record<string, string> = {};
  const live: string[] = [];
  for (const region of scope.regions) {
    const out = await r
      .ec2(region)
      .send(new DescribeImagesCommand({ Owners: ['self'], IncludeDisabled: true } as never));
    for (const i of out.Images ?? []) {
      images[`${region}/${i.ImageId}`] = i.State ?? '';
      const p = i.DeregistrationProtection;
      if (p && p !== 'disabled') protection[`${region}/${i.ImageId}`] = p;
    }
    let NextToken: string | undefined;
    do {
      const page = await r.ec2(region).send(
        new DescribeInstancesCommand({
          Filters: [{ Name: 'instance-state-name', Values: ['pending', 'running'] }],
          NextToken,
        }),
      );
      for (const res of page.Reservations ?? [])
        for (const i of res.Instances ?? []) live.push(i.InstanceId!);
      NextToken = page.NextToken;
    } while (NextToken);
  }
  return { images: sortKeys(images), protection: sortKeys(protection), live: live.sort() };
}

interface OctopusMachine {
  Name: string;
  EnvironmentIds: string[];
  Roles: string[];
}

async function readOctopus(scope: Scope, groupInstances: Set<string>): Promise<OctopusReading> {
  if (!scope.octopus) return { fixed: [], instanceTargets: [] };
  const headers = { 'X-Octopus-ApiKey': scope.octopus.apiKey };
  const get = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${scope.octopus!.url}${path}`, { headers });
    if (!res.ok) throw new Error(`Octopus ${path}: ${res.status}`);
    return (await res.json()) as T;
  };
  const envs = await get<{ Items: { Id: string; Name: string }[] }>('/api/Spaces-1/environments?take=1000');
  const envName = new Map(envs.Items.map((e) => [e.Id, e.Name]));
  const machines: OctopusMachine[] = [];
  for (let skip = 0; ; skip += 500) {
    const page = await get<{ Items: OctopusMachine[]; TotalResults: number }>(
      `/api/Spaces-1/machines?skip=${skip}&take=500`,
    );
    machines.push(...page.Items);
    if (skip + 500 >= page.TotalResults) break;
  }
  const fixed: string[] = [];
  const instanceTargets: string[] = [];
  for (const m of machines) {
    if (groupInstances.has(m.Name)) instanceTargets.push(m.Name);
    else
      fixed.push(
        `${m.Name} [${m.EnvironmentIds.map((e) => envName.get(e) ?? e).join(',')}] (${[...m.Roles].sort().join(',')})`,
      );
  }
  return { fixed: fixed.sort(), instanceTargets: instanceTargets.sort() };
}

/** Every instance id (any state) the in-scope groups ever launched, from the group-name tag. */
async function groupInstanceIds(r: Readers, scope: Scope): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const region of scope.regions) {
    const names = scope.groups.filter((g) => g.region === region && scope.instanceGroups.includes(g.name));
    if (!names.length) continue;
    let NextToken: string | undefined;
    do {
      const page = await r.ec2(region).send(
        new DescribeInstancesCommand({
          Filters: [{ Name: 'tag:aws:autoscaling:groupName', Values: names.map((n) => n.name) }],
          NextToken,
        }),
      );
      for (const res of page.Reservations ?? []) for (const i of res.Instances ?? []) ids.add(i.InstanceId!);
      NextToken = page.NextToken;
    } while (NextToken);
  }
  return ids;
}

/** Reads every observable once. */
export async function snapshot(scope: Scope): Promise<Snapshot> {
  const r = new Readers(scope);
  try {
    const ssm = r.ssm(scope.regions[0]!);
    const parameters: Snapshot['parameters'] = {};
    for (const p of scope.parameters) parameters[p] = await readParameter(ssm, p);
    const groups = await readGroups(r, scope);
    const templates = await readTemplates(r, scope);
    const { images, protection, live } = await readImagesAndInstances(r, scope);
    const octopus = await readOctopus(scope, await groupInstanceIds(r, scope));
    return { parameters, groups, templates, images, protection, octopus, liveInstances: live };
  } finally {
    r.destroy();
  }
}

/**
 * Reads the environment once it has settled: the refreshes active right after the run are recorded
 * (a refresh left running is itself a difference), then the reading waits (up to `settleMs`) until
 * no group has an active refresh and every group has its desired InService instances, so what the
 * run set in motion shows in the AMIs instances run.
 */
export async function settledSnapshot(scope: Scope, settleMs = 20_000): Promise<Snapshot> {
  const first = await snapshot(scope);
  const activeAtEnd = new Map(
    Object.entries(first.groups).map(([k, g]) => [k, g?.activeRefreshes ?? []] as const),
  );
  const deadline = Date.now() + settleMs;
  let s = first;
  while (Date.now() < deadline) {
    const settled = Object.values(s.groups).every(
      (g) => !g || (!g.activeRefreshes.length && !g.notInService.length && g.amis.length === g.desired),
    );
    if (settled) break;
    await new Promise((res) => setTimeout(res, 250));
    s = await snapshot(scope);
  }
  // What was active when the run ended stays visible, whatever it became.
  for (const [k, g] of Object.entries(s.groups))
    if (g) g.activeRefreshes = [...new Set([...(activeAtEnd.get(k) ?? []), ...g.activeRefreshes])];
  return s;
}

// ---------- diff ----------

function sortKeys<T>(o: Record<string, T>, cmp?: (a: string, b: string) => number): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (cmp ? cmp(a, b) : a.localeCompare(b))));
}

function clean<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

const show = (v: unknown): string => (v === undefined ? '(absent)' : JSON.stringify(v));

/**
 * Human-readable differences between two values, one line per path that differs:
 * `groups.us-east-1/web-latest.source.LaunchTemplate.Version: "$Latest" → "3"`.
 */
export function diff(before: unknown, after: unknown, path = ''): string[] {
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  const isObj = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObj(before) && isObj(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return keys.flatMap((k) => diff(before[k], after[k], path ? `${path}.${k}` : k));
  }
  if (Array.isArray(before) && Array.isArray(after) && before.every((x) => typeof x === 'string')) {
    const gone = before.filter((x, i) => before.indexOf(x) === i && count(after, x) < count(before, x));
    const added = after.filter((x, i) => after.indexOf(x) === i && count(after, x) > count(before, x));
    const parts = [
      ...gone.map((x) => `-${x}${count(before, x) > 1 ? ` ×${count(before, x) - count(after, x)}` : ''}`),
      ...added.map((x) => `+${x}${count(after, x) > 1 ? ` ×${count(after, x) - count(before, x)}` : ''}`),
    ];
    if (parts.length) return [`${path}: ${parts.join(', ')}`];
  }
  return [`${path}: ${show(before)} → ${show(after)}`];
}

const count = (a: unknown[], x: unknown) => a.filter((y) => y === x).length;

// ---------- the invariant ----------

export interface Intent {
  /** The AMI the run deploys. */
  ami: string;
  /** `<region>/<group>` the run must move onto the AMI. */
  moved: string[];
  /** Templates (`<region>/<name>`) the moved groups launch from: new versions allowed there. */
  movedTemplates: string[];
  parameter: string;
  label: string;
}

/** The parts of the reading before a run that no put-back can restore, set aside with why. */
function comparable(s: Snapshot): { snap: Snapshot; notes: Record<string, string> } {
  const snap = clean(s);
  const notes: Record<string, string> = {};
  for (const [name, p] of Object.entries(snap.parameters)) {
    if (!p) continue;
    // SSM's history is append-only: a put-back writes the old value as a new version.
    notes[`parameters.${name}.version`] = String(p.version);
    p.version = 0;
  }
  // Targets of the moved groups' instances come and go with the instances; checked by liveTargetsDeleted.
  snap.octopus.instanceTargets = [];
  snap.liveInstances = [];
  return { snap, notes };
}

/** Targets of instances that still run in `after` but were registered in `before` and are now gone. */
export function liveTargetsDeleted(before: Snapshot, after: Snapshot): string[] {
  const live = new Set(after.liveInstances);
  const now = new Set(after.octopus.instanceTargets);
  return before.octopus.instanceTargets.filter((id) => live.has(id) && !now.has(id));
}

/** Differences between `after` and the reading before the run (what a put-back must restore). */
export function diffFromBefore(before: Snapshot, after: Snapshot): string[] {
  return [
    ...diff(comparable(before).snap, comparable(after).snap),
    ...liveTargetsDeleted(before, after).map((id) => `octopus: target of running instance ${id} deleted`),
  ];
}

/** Numeric template versions may change in a moved group's launch source; `$Latest`/`$Default` may not. */
function sourceShape(source: LaunchSource): unknown {
  return JSON.parse(
    JSON.stringify(source, (k, v: unknown) =>
      k === 'Version' && typeof v === 'string' && /^\d+$/.test(v) ? '<number>' : v,
    ),
  );
}

/**
 * Differences between `after` and the complete intended state: every moved group runs the AMI on
 * its launch source as written before (a `$Latest` group on `$Latest`; a numbered version may become
 * the new number) and launches it; the label names the AMI; everything else is as before.
 */
export function diffFromIntended(before: Snapshot, after: Snapshot, intent: Intent): string[] {
  const out: string[] = [];
  const b = comparable(before).snap;
  const a = comparable(after).snap;
  for (const [name, p] of Object.entries(a.parameters)) {
    const was = b.parameters[name];
    if (name !== intent.parameter || !p || !was) {
      out.push(...diff(was, p, `parameters.${name}`));
      continue;
    }
    const label = p.labels[intent.label];
    if (label?.value !== intent.ami)
      out.push(
        `parameters.${name}.labels.${intent.label}: names ${label?.value ?? '(absent)'}, not ${intent.ami}`,
      );
    const { [intent.label]: _a, ...otherNow } = p.labels;
    const { [intent.label]: _b, ...otherWas } = was.labels;
    out.push(...diff(otherWas, otherNow, `parameters.${name}.labels`));
    if (p.value !== intent.ami) out.push(`parameters.${name}.value: ${p.value}, not ${intent.ami}`);
  }
  for (const [key, g] of Object.entries(a.groups)) {
    const was = b.groups[key];
    if (!intent.moved.includes(key) || !g || !was) {
      out.push(...diff(was, g, `groups.${key}`));
      continue;
    }
    const at = `groups.${key}`;
    out.push(...diff(sourceShape(was.source), sourceShape(g.source), `${at}.source`));
    for (const f of ['desired', 'min', 'max', 'targetGroups', 'activeRefreshes', 'notInService'] as const)
      out.push(...diff(was[f], g[f], `${at}.${f}`));
    const off = g.amis.filter((x) => x !== intent.ami);
    if (off.length || g.amis.length !== was.amis.length)
      out.push(
        `${at}.amis: ${g.amis.length} InService (was ${was.amis.length}), ${off.length} not on ${intent.ami}: ${off.join(', ')}`,
      );
    const launches = g.launches.filter((l) => l !== intent.ami);
    if (launches.length) out.push(`${at}.launches: ${launches.join(', ')}, not ${intent.ami}`);
  }
  for (const [key, t] of Object.entries(a.templates)) {
    if (intent.movedTemplates.includes(key)) continue;
    out.push(...diff(b.templates[key], t, `templates.${key}`));
  }
  out.push(...diff(b.images, a.images, 'images'));
  out.push(...diff(b.octopus, a.octopus, 'octopus'));
  out.push(
    ...liveTargetsDeleted(before, after).map((id) => `octopus: target of running instance ${id} deleted`),
  );
  return out;
}

export type Ending = 'before' | 'new' | 'neither';

export interface RunOutcome {
  /** deploy-ami's status output ('' when the step wrote none). */
  status: string;
  /** The run was cancelled (SIGINT/SIGTERM/SIGKILL). */
  cancelled: boolean;
  /** A post step ran, and its exit code. */
  post?: { exitCode: number | null };
  /** The reading after the main step, before the post step (when the post step ran). */
  afterMain?: Snapshot;
  /** The step's failure lines (main, then post): where what could not be put back is listed. */
  failureLines?: string[];
}

/** The resource a difference line is about: a group, template or parameter name. */
const subjectOf = (line: string) =>
  /^(?:groups|templates)\.[^/]+\/([^.]+)\./.exec(line)?.[1] ??
  /^parameters\.([^ ]+?)\.(?:value|labels)/.exec(line)?.[1];

/**
 * AWS refused part of the put-back for good (AccessDenied): the invariant still holds when status
 * is failed and a failure line lists, with its command, every resource left neither way.
 */
function listedAsRemaining(
  fromBefore: string[],
  run: RunOutcome,
  before: Snapshot,
  after: Snapshot,
): boolean {
  if (run.status !== 'failed' && run.status !== '') return false;
  const left = (run.failureLines ?? [])
    .map((l) => /NOT put back: (.*)|not everything was put back: (.*)/.exec(l))
    .map((m) => m?.[1] ?? m?.[2] ?? '')
    .join(' ');
  if (!left.includes('finish with: aws ')) return false;
  return fromBefore.every((d) => {
    const subject = subjectOf(d);
    if (subject !== undefined && left.includes(subject)) return true;
    const parameter = resolvedParameterOf(d, before, after);
    return parameter !== undefined && left.includes(parameter);
  });
}

/**
 * A template difference that is only what `resolve:ssm:` now resolves to (its versions as written
 * unchanged) follows from the parameter it names: listing the parameter lists it.
 */
function resolvedParameterOf(line: string, before: Snapshot, after: Snapshot): string | undefined {
  const key = /^templates\.([^.]+\/[^.]+)\.(?:latest|default)\.ami/.exec(line)?.[1];
  const b = key ? before.templates[key] : undefined;
  const a = key ? after.templates[key] : undefined;
  if (!a || !b || JSON.stringify(a.versions) !== JSON.stringify(b.versions)) return undefined;
  const which = line.includes('.latest.') ? a.latest : a.default;
  const written = a.versions[String(which.version)] ?? '';
  return written.startsWith(SSM_PREFIX) ? written.slice(SSM_PREFIX.length).split(':')[0] : undefined;
}

export interface Verdict {
  ok: boolean;
  ending: Ending;
  /** Why it is not ok, one line each; empty when ok. */
  violations: string[];
  fromBefore: string[];
  fromIntended: string[];
  notes: Record<string, string>;
}

const BEFORE_STATUSES = ['failed', 'rolled-back', 'timed-out', 'refused'];

/**
 * The invariant: `after` equals `before` or the intended state, and the status says which —
 * `healthy` for the new state; failed/rolled-back/timed-out/refused for the old one; no status with
 * the old state only after a cancel whose post step ran and put it back (or a run that had left it
 * whole already when the main step ended).
 */
export function checkInvariant(before: Snapshot, after: Snapshot, intent: Intent, run: RunOutcome): Verdict {
  const fromBefore = diffFromBefore(before, after);
  const fromIntended = diffFromIntended(before, after, intent);
  const ending: Ending = !fromBefore.length ? 'before' : !fromIntended.length ? 'new' : 'neither';
  const violations: string[] = [];
  if (ending === 'neither' && !listedAsRemaining(fromBefore, run, before, after))
    violations.push(
      `the environment is neither as before nor the intended state (${fromBefore.length} difference(s) from before, ${fromIntended.length} from the intended state)`,
    );
  else if (ending === 'new' && run.status !== 'healthy')
    violations.push(
      `the environment is the new state, but status is ${show(run.status || undefined)}, not "healthy"`,
    );
  else if (ending === 'before' && !BEFORE_STATUSES.includes(run.status)) {
    const cancelledAndPut = !run.status && run.cancelled && run.post && run.post.exitCode === 0;
    if (!cancelledAndPut)
      violations.push(
        run.status
          ? `the environment is as before, but status is "${run.status}"`
          : run.cancelled
            ? `the environment is as before and no status was written, but ${run.post ? `the post step failed (exit ${run.post.exitCode})` : 'no post step ran'}`
            : 'the environment is as before, but no status was written',
      );
  }
  const notes = comparable(before).notes;
  if (run.afterMain) {
    const b = diffFromBefore(before, run.afterMain).length;
    const i = diffFromIntended(before, run.afterMain, intent).length;
    notes['after the main step, before the post step'] = !b
      ? 'as before'
      : !i
        ? 'the intended state'
        : `neither (${b} difference(s) from before, ${i} from the intended state)`;
  }
  return { ok: !violations.length, ending, violations, fromBefore, fromIntended, notes };
}

/** What kind of observable a difference line is about, for counting violations by kind. */
export function differenceKind(line: string): string {
  if (/^groups\.[^.]+\.source/.test(line)) return 'launch source';
  if (/^groups\.[^.]+\.amis/.test(line)) return 'AMIs instances run';
  if (/^groups\.[^.]+\.launches/.test(line)) return 'AMI the group launches';
  if (/^groups\.[^.]+\.activeRefreshes/.test(line)) return 'refresh left active';
  if (/^groups\./.test(line)) return 'group settings';
  if (/^templates\./.test(line)) return 'template versions/$Latest/$Default';
  if (/^parameters\./.test(line)) return 'parameter value/labels';
  if (/^images/.test(line)) return 'images';
  if (/^octopus/.test(line)) return 'Octopus targets';
  return 'other';
}

/** The kinds of difference from the nearer of the two states (or `status` when only the status is wrong). */
export function violationKinds(v: Verdict): string[] {
  if (v.ok) return [];
  if (v.ending !== 'neither') return ['status'];
  const nearer = v.fromIntended.length < v.fromBefore.length ? v.fromIntended : v.fromBefore;
  return [...new Set(nearer.map(differenceKind))].sort();
}

/** The verdict as lines for a report: the violations, then the differences that explain them. */
export function describeVerdict(v: Verdict, limit = 25): string[] {
  if (v.ok) return [`ok: ${v.ending === 'before' ? 'as before' : 'the intended state'}`];
  const cap = (xs: string[]) => [
    ...xs.slice(0, limit),
    ...(xs.length > limit ? [`… ${xs.length - limit} more`] : []),
  ];
  return [
    ...v.violations,
    ...Object.entries(v.notes)
      .filter(([k]) => k.startsWith('after the main step'))
      .map(([k, n]) => `  ${k}: ${n}`),
    '  differences from before:',
    ...cap(v.fromBefore).map((l) => `    ${l}`),
    '  differences from the intended state:',
    ...cap(v.fromIntended).map((l) => `    ${l}`),
  ];
}
