import type { Tag } from '../state.js';
import { AwsError } from './service.js';

/** EC2's Filter semantics: values OR'ed, filters AND'ed, `*`/`?` wildcards, `tag:<key>`, `tag-key`, `tag-value`. */
export interface FilterInput {
  Name?: string;
  Values?: string[];
}

export type FilterFields<T> = Record<string, (item: T) => unknown>;

const MAX_FILTER_VALUES = 200;

function wildcard(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) re += pattern[++i]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    else if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

function asStrings(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.flatMap(asStrings);
  return [String(value)];
}

export function applyFilters<T>(
  items: Iterable<T>,
  filters: readonly FilterInput[] | undefined,
  fields: FilterFields<T>,
  tagsOf?: (item: T) => readonly Tag[],
): T[] {
  const list = [...items];
  if (!filters || filters.length === 0) return list;
  const total = filters.reduce((n, f) => n + (f.Values?.length ?? 0), 0);
  if (total > MAX_FILTER_VALUES) {
    throw new AwsError(
      'FilterLimitExceeded',
      `The maximum number of filter values specified on a single call is ${MAX_FILTER_VALUES}`,
    );
  }
  const checks = filters.map((filter) => {
    const name = filter.Name ?? '';
    const values = filter.Values ?? [];
    // Literal values (the usual case, e.g. 200 instance ids) match by set membership, not regex.
    const literals = new Set(values.filter((v) => !/[*?\\]/.test(v)));
    const patterns = values.filter((v) => /[*?\\]/.test(v)).map(wildcard);
    let getter: ((item: T) => unknown) | undefined = fields[name];
    if (!getter && tagsOf) {
      if (name.startsWith('tag:')) {
        const key = name.slice(4);
        getter = (item) =>
          tagsOf(item)
            .filter((t) => t.Key === key)
            .map((t) => t.Value);
      } else if (name === 'tag-key') getter = (item) => tagsOf(item).map((t) => t.Key);
      else if (name === 'tag-value') getter = (item) => tagsOf(item).map((t) => t.Value);
    }
    if (!getter) throw new AwsError('InvalidParameterValue', `The filter '${name}' is invalid`);
    const get = getter;
    return (item: T) => {
      const actual = asStrings(get(item));
      return actual.some((v) => literals.has(v) || patterns.some((p) => p.test(v)));
    };
  });
  return list.filter((item) => checks.every((check) => check(item)));
}

/** Offset pagination with opaque tokens, as Describe* calls page. */
export function paginate<T>(
  items: readonly T[],
  maxResults: number | undefined,
  nextToken: string | undefined,
): { page: T[]; NextToken?: string } {
  let offset = 0;
  if (nextToken) {
    const decoded = Number(Buffer.from(nextToken, 'base64url').toString('utf8').replace(/^o:/, ''));
    if (!Number.isInteger(decoded) || decoded < 0) {
      throw new AwsError('InvalidPaginationToken', `Invalid pagination token: ${nextToken}`);
    }
    offset = decoded;
  }
  if (maxResults === undefined) return { page: items.slice(offset) };
  const end = offset + maxResults;
  const page = items.slice(offset, end);
  return end < items.length ? { page, NextToken: Buffer.from(`o:${end}`).toString('base64url') } : { page };
}

export function toTags(tags: readonly { Key?: string; Value?: string }[] | undefined): Tag[] {
  return (tags ?? []).filter((t) => t.Key !== undefined).map((t) => ({ Key: t.Key!, Value: t.Value ?? '' }));
}

/** Tags from TagSpecifications for one resource type. */
export function tagsFor(
  specs: readonly { ResourceType?: string; Tags?: { Key?: string; Value?: string }[] }[] | undefined,
  resourceType: string,
): Tag[] {
  return (specs ?? []).filter((s) => s.ResourceType === resourceType).flatMap((s) => toTags(s.Tags));
}

/** Checks a tag list as CreateTags does (aws: prefix is reserved, key length). */
export function validateTags(tags: readonly Tag[]): void {
  for (const tag of tags) {
    if (tag.Key.toLowerCase().startsWith('aws:')) {
      throw new AwsError(
        'InvalidParameterValue',
        `Tag keys starting with 'aws:' are reserved for internal use`,
      );
    }
    if (tag.Key.length === 0 || tag.Key.length > 128 || tag.Value.length > 256) {
      throw new AwsError('InvalidParameterValue', `Tag key or value has an invalid length: '${tag.Key}'`);
    }
  }
}

/**
 * The resources a Describe call's ids name, all or nothing (AWS's `…NotFound` error for an unknown
 * one); every resource when no ids are given.
 */
export function byIds<T>(
  resources: Map<string, T>,
  ids: string[] | undefined,
  notFound: (id: string) => [code: string, message: string],
): T[] {
  if (!ids?.length) return [...resources.values()];
  return ids.map((id) => {
    const r = resources.get(id);
    if (!r) throw new AwsError(...notFound(id));
    return r;
  });
}

/** A Describe call's selection: the resources its ids name, then its filters (tags included). */
export function described<T extends { tags: Tag[] }>(
  resources: Map<string, T>,
  ids: string[] | undefined,
  notFound: (id: string) => [code: string, message: string],
  filters: unknown,
  fields: FilterFields<T>,
): T[] {
  return filterTagged(byIds(resources, ids, notFound), filters, fields);
}

/** A Describe call's `Filters` (as the request gave them) over resources that carry tags. */
export function filterTagged<T extends { tags: Tag[] }>(
  items: Iterable<T>,
  filters: unknown,
  fields: FilterFields<T>,
): T[] {
  return applyFilters(items, filters as FilterInput[] | undefined, fields, (r) => r.tags);
}
