import type {
  AddTagsToResourceRequest,
  DeleteParameterRequest,
  DeleteParametersRequest,
  DescribeParametersRequest,
  GetParameterHistoryRequest,
  GetParameterRequest,
  GetParametersByPathRequest,
  GetParametersRequest,
  LabelParameterVersionRequest,
  ListTagsForResourceRequest,
  ParameterStringFilter,
  PutParameterRequest,
  UnlabelParameterVersionRequest,
} from '@aws-sdk/client-ssm';
import type { Parameter, ParameterVersion, PendingParameterVersion, RegionState, Tag } from '../state.js';
import { upsertTags } from '../state.js';
import { paginate } from './ec2-filters.js';
import { AwsError, type AwsHandler } from './service.js';
import { arr, onAnyResource, requestTags, type IamMapping } from '../iam-context.js';

/**
 * SSM Parameter Store: versions, labels, selectors, paths, the 100-version limit, and the
 * asynchronous `aws:ec2:image` check (PutParameter answers at once; the version only becomes
 * current if the image exists when SSM gets round to checking).
 */

const MAX_VERSIONS = 100;
const MAX_LABELS_PER_VERSION = 10;
const NAME_CHARS = /^[a-zA-Z0-9_.\-/]+$/;

function validation(message: string): AwsError {
  return new AwsError('ValidationException', message);
}

function arn(region: RegionState, name: string): string {
  return `arn:aws:ssm:${region.name}:${region.world.accountId}:parameter${name.startsWith('/') ? name : `/${name}`}`;
}

function validateName(name: string, forWrite: boolean): void {
  if (name.length === 0 || name.length > 2048 || !NAME_CHARS.test(name)) {
    throw validation(`Parameter name: "${name}" is invalid. Names may contain letters, numbers and . - _ /`);
  }
  if (name.includes('/') && !name.startsWith('/'))
    throw validation('Parameter name must be a fully qualified name.');
  if (name.split('/').filter(Boolean).length > 15) {
    throw new AwsError(
      'HierarchyLevelLimitExceededException',
      'A hierarchy can have a maximum of 15 levels.',
    );
  }
  const first = (name.startsWith('/') ? name.split('/')[1] : name) ?? '';
  if (forWrite && /^(aws|ssm)/i.test(first)) {
    throw validation(`Parameter name: can't be prefixed with "aws" or "ssm" (case-insensitive).`);
  }
}

function notFound(name: string): AwsError {
  return new AwsError('ParameterNotFound', `Parameter ${name} not found.`);
}

/** `name`, `name:<version>` or `name:<label>`; undefined when the parameter or selector is unknown. */
export function selectVersion(
  region: RegionState,
  selector: string,
): { parameter: Parameter; version: ParameterVersion; selector?: string } | undefined {
  const colon = selector.indexOf(':');
  const name = colon === -1 ? selector : selector.slice(0, colon);
  const which = colon === -1 ? undefined : selector.slice(colon + 1);
  const parameter = region.ssm.parameters.get(name);
  if (!parameter) return undefined;
  if (which === undefined) return { parameter, version: parameter.versions.at(-1)! };
  const version = /^\d+$/.test(which)
    ? parameter.versions.find((v) => v.version === Number(which))
    : parameter.versions.find((v) => v.labels.includes(which));
  return version ? { parameter, version, selector: `:${which}` } : undefined;
}

/** What `resolve:ssm:<selector>` in a launch template turns into. */
export function resolveParameterValue(region: RegionState, selector: string): string | undefined {
  return selectVersion(region, selector)?.version.value;
}

function getOne(region: RegionState, selector: string) {
  const found = selectVersion(region, selector);
  if (found) return found;
  const name = selector.split(':')[0] ?? selector;
  if (!region.ssm.parameters.has(name)) throw notFound(name);
  const which = selector.slice(name.length + 1);
  throw new AwsError(
    'ParameterVersionNotFound',
    `Systems Manager could not find version ${which} of ${name}. Verify the version and try again.`,
  );
}

function shownValue(parameter: Parameter, value: string, decrypt: boolean | undefined): string {
  // SecureString values come back as ciphertext unless decryption is asked for.
  if (parameter.type !== 'SecureString' || decrypt) return value;
  return Buffer.from(`localcloud-kms:${parameter.keyId ?? 'alias/aws/ssm'}:${value}`).toString('base64');
}

function parameterShape(
  region: RegionState,
  parameter: Parameter,
  version: ParameterVersion,
  decrypt: boolean | undefined,
  selector?: string,
) {
  return {
    Name: parameter.name,
    Type: parameter.type,
    Value: shownValue(parameter, version.value, decrypt),
    Version: version.version,
    ...(selector ? { Selector: selector } : {}),
    LastModifiedDate: new Date(version.lastModifiedDate),
    ARN: arn(region, parameter.name),
    DataType: parameter.dataType,
  };
}

function nextVersionNumber(region: RegionState, name: string): number {
  const pending = region.ssm.pending.filter((p) => p.name === name).map((p) => p.version.version);
  return Math.max(region.ssm.parameters.get(name)?.lastVersionNumber ?? 0, ...pending) + 1;
}

/** Adds an accepted version, dropping the oldest beyond 100 (refused while it carries a label). */
function applyVersion(region: RegionState, entry: Omit<PendingParameterVersion, 'checkAt'>): void {
  let parameter = region.ssm.parameters.get(entry.name);
  if (!parameter) {
    parameter = {
      name: entry.name,
      type: entry.type,
      dataType: entry.dataType,
      ...(entry.keyId ? { keyId: entry.keyId } : {}),
      versions: [],
      lastVersionNumber: 0,
      tags: [...entry.tags],
    };
    region.ssm.parameters.set(entry.name, parameter);
  }
  parameter.type = entry.type;
  if (entry.keyId) parameter.keyId = entry.keyId;
  parameter.versions.push(entry.version);
  // A lower-numbered version accepted late must not become current: keep versions in number order.
  parameter.versions.sort((a, b) => a.version - b.version);
  parameter.lastVersionNumber = Math.max(parameter.lastVersionNumber, entry.version.version);
  if (parameter.versions.length > MAX_VERSIONS) parameter.versions.shift();
}

/** The parameter being overwritten, if any; refused without Overwrite, or with tags. */
function overwritten(region: RegionState, p: PutParameterRequest, name: string): Parameter | undefined {
  const existing = region.ssm.parameters.get(name);
  const pendingForName = region.ssm.pending.some((x) => x.name === name);
  if ((existing || pendingForName) && !p.Overwrite) {
    throw new AwsError(
      'ParameterAlreadyExists',
      'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.',
    );
  }
  if (existing && p.Tags?.length) {
    throw validation(
      "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag.",
    );
  }
  return existing;
}

/** The type and data type, as given or kept from the existing parameter; an image id's format. */
function typesOf(p: PutParameterRequest, existing: Parameter | undefined, value: string) {
  const type = (p.Type ?? existing?.type) as Parameter['type'] | undefined;
  if (!type) throw validation('A parameter type is required when you create a parameter.');
  if (!['String', 'StringList', 'SecureString'].includes(type))
    throw new AwsError('UnsupportedParameterType', `${type} is not a valid type.`);
  const dataType = p.DataType ?? existing?.dataType ?? 'text';
  if (dataType !== 'text' && dataType !== 'aws:ec2:image' && dataType !== 'aws:ssm:integration') {
    throw validation(
      `The following data type is not supported: ${dataType} (Data type names are all lowercase.)`,
    );
  }
  if (existing && dataType !== existing.dataType) {
    throw validation(
      `The data type of an existing parameter cannot be changed (it is ${existing.dataType}).`,
    );
  }
  if (dataType === 'aws:ec2:image') {
    if (type !== 'String') throw validation('Parameters of data type aws:ec2:image must be of type String.');
    if (!/^ami-[0-9a-f]{8,17}$/.test(value)) {
      throw validation(
        `Parameter value, ${value}, is not in the expected format for data type aws:ec2:image. Example: ami-12345abcdeEXAMPLE`,
      );
    }
  }
  return { type, dataType };
}

/** The allowed pattern (given or kept) the value must match, and the 100-version limit. */
function checkPatternAndLimit(
  p: PutParameterRequest,
  existing: Parameter | undefined,
  name: string,
  value: string,
) {
  const pattern = p.AllowedPattern ?? existing?.versions.at(-1)?.allowedPattern;
  if (pattern !== undefined && !new RegExp(pattern).test(value)) {
    throw new AwsError(
      'ParameterPatternMismatchException',
      `Parameter value, ${value}, failed to satisfy constraint specified by allowed pattern: ${pattern}.`,
    );
  }
  if (existing && existing.versions.length >= MAX_VERSIONS && existing.versions[0]!.labels.length > 0) {
    throw new AwsError(
      'ParameterMaxVersionLimitExceeded',
      `You attempted to create a new version of ${name} by calling the PutParameter API with the overwrite flag. Version ${existing.versions[0]!.version}, the oldest version, can't be deleted because it has a label associated with it. Move the label to another version of the parameter, and try again.`,
    );
  }
  return pattern;
}

const putParameter: AwsHandler = (req, { region, world, now }) => {
  const p = req.params as unknown as PutParameterRequest;
  const name = p.Name ?? '';
  validateName(name, true);
  const value = p.Value ?? '';
  if (value.length === 0) throw validation('Parameter value must not be empty.');
  if (value.length > (p.Tier === 'Advanced' ? 8192 : 4096)) {
    throw validation('Standard tier parameters support a maximum parameter value of 4096 characters.');
  }
  const existing = overwritten(region, p, name);
  const { type, dataType } = typesOf(p, existing, value);
  const pattern = checkPatternAndLimit(p, existing, name, value);
  const description = p.Description !== undefined ? p.Description : existing?.versions.at(-1)?.description;
  const version: ParameterVersion = {
    version: nextVersionNumber(region, name),
    value,
    lastModifiedDate: now,
    labels: [],
    ...(description !== undefined ? { description } : {}),
    ...(pattern !== undefined ? { allowedPattern: pattern } : {}),
    tier: p.Tier === 'Advanced' ? 'Advanced' : 'Standard',
    policies: [],
    lastModifiedUser: `arn:aws:iam::${world.accountId}:user/localcloud`,
  };
  const entry = {
    name,
    type,
    dataType,
    ...(p.KeyId ? { keyId: p.KeyId } : {}),
    version,
    tags: (p.Tags ?? []).map((t) => ({ Key: t.Key ?? '', Value: t.Value ?? '' })),
  };
  if (dataType === 'aws:ec2:image') {
    region.ssm.pending.push({ ...entry, checkAt: now + world.durations.ssmValidation });
  } else {
    applyVersion(region, entry);
  }
  return { Version: version.version, Tier: version.tier };
};

/** Runs SSM's deferred aws:ec2:image checks: a version naming no visible image is dropped. */
export function tickParameterValidation(region: RegionState, now: number): void {
  if (region.ssm.pending.length === 0) return;
  const due = region.ssm.pending.filter((p) => now >= p.checkAt);
  if (due.length === 0) return;
  region.ssm.pending = region.ssm.pending.filter((p) => now < p.checkAt);
  for (const entry of due) {
    const image = region.ec2.images.get(entry.version.value);
    const account = region.world.accountId;
    const ok =
      image !== undefined &&
      image.state !== 'deregistered' &&
      image.state !== 'failed' &&
      (image.ownerId === account || image.public || image.launchPermissionUserIds.has(account));
    if (ok) applyVersion(region, entry);
  }
}

const getParameter: AwsHandler = (req, { region }) => {
  const p = req.params as unknown as GetParameterRequest;
  const { parameter, version, selector } = getOne(region, p.Name ?? '');
  return { Parameter: parameterShape(region, parameter, version, p.WithDecryption, selector) };
};

const getParameters: AwsHandler = (req, { region }) => {
  const p = req.params as unknown as GetParametersRequest;
  const names = p.Names ?? [];
  if (names.length > 10) throw validation('Member must have length less than or equal to 10');
  const found = [];
  const invalid = [];
  for (const name of names) {
    const hit = selectVersion(region, name);
    if (hit) found.push(parameterShape(region, hit.parameter, hit.version, p.WithDecryption, hit.selector));
    else invalid.push(name);
  }
  return { Parameters: found, InvalidParameters: invalid };
};

function matchesFilters(
  parameter: Parameter,
  filters: readonly ParameterStringFilter[] | undefined,
): boolean {
  for (const f of filters ?? []) {
    const values = f.Values ?? [];
    const option = f.Option ?? 'Equals';
    const key = f.Key ?? '';
    const test = (actual: string | undefined) =>
      actual !== undefined &&
      values.some((v) =>
        option === 'BeginsWith'
          ? actual.startsWith(v)
          : option === 'Contains'
            ? actual.includes(v)
            : actual === v,
      );
    if (key === 'Name' && !test(parameter.name)) return false;
    if (key === 'Type' && !test(parameter.type)) return false;
    if (key === 'KeyId' && !test(parameter.keyId)) return false;
    if (key === 'DataType' && !test(parameter.dataType)) return false;
    if (key === 'Tier' && !test(parameter.versions.at(-1)?.tier)) return false;
    if (key === 'Label' && !parameter.versions.some((v) => v.labels.some((l) => values.includes(l))))
      return false;
    if (
      key.startsWith('tag:') &&
      !parameter.tags.some((t) => t.Key === key.slice(4) && (values.length === 0 || values.includes(t.Value)))
    ) {
      return false;
    }
    if (key === 'Path') {
      const path = (values[0] ?? '/').replace(/\/$/, '');
      const under = parameter.name.startsWith(`${path}/`);
      if (!under) return false;
      if (option !== 'Recursive' && parameter.name.slice(path.length + 1).includes('/')) return false;
    }
  }
  return true;
}

const getParametersByPath: AwsHandler = (req, { region }) => {
  const p = req.params as unknown as GetParametersByPathRequest;
  const path = p.Path ?? '';
  if (!path.startsWith('/'))
    throw validation(
      'The parameter doesn\'t meet the parameter name requirements. The parameter name must begin with a forward slash "/".',
    );
  const prefix = path === '/' ? '/' : `${path.replace(/\/$/, '')}/`;
  const labelFilter = p.ParameterFilters?.find((f) => f.Key === 'Label');
  const rows = [...region.ssm.parameters.values()]
    .filter((x) => x.name.startsWith(prefix) && (p.Recursive || !x.name.slice(prefix.length).includes('/')))
    .filter((x) =>
      matchesFilters(
        x,
        p.ParameterFilters?.filter((f) => f.Key !== 'Label'),
      ),
    )
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((x) => {
      if (!labelFilter) return [parameterShape(region, x, x.versions.at(-1)!, p.WithDecryption)];
      const labelled = x.versions.find((v) => v.labels.some((l) => labelFilter.Values?.includes(l)));
      return labelled ? [parameterShape(region, x, labelled, p.WithDecryption)] : [];
    });
  const { page, NextToken } = paginate(rows, p.MaxResults ?? 10, p.NextToken);
  return { Parameters: page, NextToken };
};

const deleteParameter: AwsHandler = (req, { region }) => {
  const p = req.params as unknown as DeleteParameterRequest;
  const name = p.Name ?? '';
  if (!region.ssm.parameters.delete(name)) throw notFound(name);
  return {};
};

const deleteParameters: AwsHandler = (req, { region }) => {
  const p = req.params as unknown as DeleteParametersRequest;
  const deleted: string[] = [];
  const invalid: string[] = [];
  for (const name of p.Names ?? []) (region.ssm.parameters.delete(name) ? deleted : invalid).push(name);
  return { DeletedParameters: deleted, InvalidParameters: invalid };
};

/** What GetParameterHistory and DescribeParameters say of one version of a parameter. */
function versionView(parameter: Parameter, v: ParameterVersion) {
  return {
    Type: parameter.type,
    ...(parameter.keyId ? { KeyId: parameter.keyId } : {}),
    LastModifiedDate: new Date(v.lastModifiedDate),
    LastModifiedUser: v.lastModifiedUser,
    ...(v.description !== undefined ? { Description: v.description } : {}),
    ...(v.allowedPattern !== undefined ? { AllowedPattern: v.allowedPattern } : {}),
    Version: v.version,
    Tier: v.tier,
    Policies: [],
    DataType: parameter.dataType,
  };
}

const getParameterHistory: AwsHandler = (req, { region }) => {
  const p = req.params as unknown as GetParameterHistoryRequest;
  const name = p.Name ?? '';
  const parameter = region.ssm.parameters.get(name);
  if (!parameter) throw notFound(name);
  const rows = parameter.versions.map((v) => ({
    Name: parameter.name,
    ...versionView(parameter, v),
    Value: shownValue(parameter, v.value, p.WithDecryption),
    Labels: v.labels,
  }));
  const { page, NextToken } = paginate(rows, p.MaxResults ?? 50, p.NextToken);
  return { Parameters: page, NextToken };
};

function invalidLabel(label: string): boolean {
  return (
    label.length === 0 ||
    label.length > 100 ||
    !/^[a-zA-Z0-9_.-]+$/.test(label) ||
    /^\d/.test(label) ||
    /^(aws|ssm)/i.test(label)
  );
}

function versionOf(parameter: Parameter, number: number | undefined): ParameterVersion {
  const version =
    number === undefined ? parameter.versions.at(-1) : parameter.versions.find((v) => v.version === number);
  if (!version) {
    throw new AwsError(
      'ParameterVersionNotFound',
      `Systems Manager could not find version ${number} of ${parameter.name}. Verify the version and try again.`,
    );
  }
  return version;
}

const labelParameterVersion: AwsHandler = (req, { region }) => {
  const p = req.params as unknown as LabelParameterVersionRequest;
  const parameter = region.ssm.parameters.get(p.Name ?? '');
  if (!parameter) throw notFound(p.Name ?? '');
  const version = versionOf(parameter, p.ParameterVersion);
  const labels = p.Labels ?? [];
  const invalid = labels.filter(invalidLabel);
  const valid = labels.filter((l) => !invalidLabel(l));
  const after = new Set([...version.labels, ...valid]);
  if (after.size > MAX_LABELS_PER_VERSION) {
    throw new AwsError(
      'ParameterVersionLabelLimitExceeded',
      `A parameter version can have maximum ${MAX_LABELS_PER_VERSION} labels. Move one or more labels to another version and try again.`,
    );
  }
  // A label sits on one version at a time: labelling moves it.
  for (const other of parameter.versions) {
    if (other !== version) other.labels = other.labels.filter((l) => !valid.includes(l));
  }
  version.labels = [...after];
  return { InvalidLabels: invalid, ParameterVersion: version.version };
};

const unlabelParameterVersion: AwsHandler = (req, { region }) => {
  const p = req.params as unknown as UnlabelParameterVersionRequest;
  const parameter = region.ssm.parameters.get(p.Name ?? '');
  if (!parameter) throw notFound(p.Name ?? '');
  const version = versionOf(parameter, p.ParameterVersion);
  const labels = p.Labels ?? [];
  const removed = labels.filter((l) => version.labels.includes(l));
  version.labels = version.labels.filter((l) => !labels.includes(l));
  return { RemovedLabels: removed, InvalidLabels: labels.filter((l) => !removed.includes(l)) };
};

const describeParameters: AwsHandler = (req, { region }) => {
  const p = req.params as unknown as DescribeParametersRequest;
  const legacy: ParameterStringFilter[] = (p.Filters ?? []).map((f) => ({
    Key: f.Key,
    Values: f.Values,
    Option: f.Key === 'Name' ? 'BeginsWith' : 'Equals',
  }));
  const rows = [...region.ssm.parameters.values()]
    // Public AWS parameters are not yours to describe.
    .filter((x) => !x.name.startsWith('/aws/'))
    .filter((x) => matchesFilters(x, [...legacy, ...(p.ParameterFilters ?? [])]))
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((x) => {
      const latest = x.versions.at(-1)!;
      return { Name: x.name, ARN: arn(region, x.name), ...versionView(x, latest) };
    });
  const { page, NextToken } = paginate(rows, p.MaxResults ?? 50, p.NextToken);
  return { Parameters: page, NextToken };
};

function taggedParameter(region: RegionState, type: string | undefined, id: string | undefined): Parameter {
  if (type !== 'Parameter')
    throw new AwsError('InvalidResourceType', `localcloud tags only parameters, not ${type}.`);
  const parameter = region.ssm.parameters.get(id ?? '');
  if (!parameter) throw new AwsError('InvalidResourceId', `The resource ID "${id}" is not valid.`);
  return parameter;
}

const addTagsToResource: AwsHandler = (req, { region }) => {
  const p = req.params as unknown as AddTagsToResourceRequest;
  const parameter = taggedParameter(region, p.ResourceType, p.ResourceId);
  upsertTags(parameter.tags, p.Tags ?? []);
  return {};
};

const listTagsForResource: AwsHandler = (req, { region }) => {
  const p = req.params as unknown as ListTagsForResourceRequest;
  return { TagList: taggedParameter(region, p.ResourceType, p.ResourceId).tags };
};

/** Seeds a parameter version without the PutParameter checks (public /aws/service parameters). */
export function seedParameter(region: RegionState, name: string, value: string, dataType = 'text'): void {
  applyVersion(region, {
    name,
    type: 'String',
    dataType,
    version: {
      version: nextVersionNumber(region, name),
      value,
      lastModifiedDate: region.world.clock.now(),
      labels: [],
      tier: 'Standard',
      policies: [],
      lastModifiedUser: 'arn:aws:iam::aws:user/aws',
    },
    tags: [],
  });
}

export const parameterHandlers: Record<string, AwsHandler> = {
  PutParameter: putParameter,
  GetParameter: getParameter,
  GetParameters: getParameters,
  GetParametersByPath: getParametersByPath,
  DeleteParameter: deleteParameter,
  DeleteParameters: deleteParameters,
  GetParameterHistory: getParameterHistory,
  LabelParameterVersion: labelParameterVersion,
  UnlabelParameterVersion: unlabelParameterVersion,
  DescribeParameters: describeParameters,
  AddTagsToResource: addTagsToResource,
  ListTagsForResource: listTagsForResource,
};

/** The parameter one member names (`Name`, `Path`); PutParameter's tags are request tags. */
const onParameter =
  (key: string): IamMapping =>
  ({ operation, action, params: p, arns }) => {
    const tags = operation === 'PutParameter' ? requestTags(arr<Tag>(p.Tags)) : {};
    return [{ action, resource: arns.parameter(String(p[key])), context: tags }];
  };

/** Tagging a parameter authorizes on it; other resource types on `*`. */
const onTaggedResource: IamMapping = ({ action, params: p, arns }) => {
  const resource = p.ResourceType === 'Parameter' ? arns.parameter(String(p.ResourceId)) : '*';
  return [{ action, resource, context: requestTags(arr<Tag>(p.Tags)) }];
};

export const parameterIam: Record<string, IamMapping> = {
  PutParameter: onParameter('Name'),
  GetParameter: onParameter('Name'),
  GetParameters: ({ action, params: p, arns }) =>
    arr<string>(p.Names).map((n) => ({ action, resource: arns.parameter(n), context: {} })),
  GetParametersByPath: onParameter('Path'),
  DeleteParameter: onParameter('Name'),
  // No resource-level check is modelled for the batch delete.
  DeleteParameters: onAnyResource,
  GetParameterHistory: onParameter('Name'),
  LabelParameterVersion: onParameter('Name'),
  UnlabelParameterVersion: onParameter('Name'),
  DescribeParameters: onAnyResource,
  AddTagsToResource: onTaggedResource,
  ListTagsForResource: onTaggedResource,
};
