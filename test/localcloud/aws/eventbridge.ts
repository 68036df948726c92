// Amazon EventBridge (AWS JSON 1.1, `X-Amz-Target: AWSEvents.<Operation>`), as far as a rule on the
// default event bus that sends Auto Scaling's events to an SQS queue: PutRule with an EventPattern,
// PutTargets/RemoveTargets, DeleteRule, and delivery of the event JSON as the message body.
import { randomUUID } from 'node:crypto';
import type { RegionState } from '../state.js';
import { AwsError, type AwsService } from './service.js';
import { queueByArn, sendToQueue } from './sqs.js';
import { onAnyResource } from '../iam-context.js';

interface Rule {
  name: string;
  arn: string;
  pattern: Record<string, unknown>;
  state: string;
  targets: Map<string, { Id: string; Arn: string }>;
}

/** An event as EventBridge hands it to targets: the body of the SQS message. */
export interface BusEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

function rulesOf(region: RegionState): Map<string, Rule> {
  return region.serviceState('events', () => new Map<string, Rule>());
}

function busOf(name: unknown): void {
  if (name !== undefined && name !== 'default' && !String(name).endsWith(':event-bus/default'))
    throw new AwsError('ResourceNotFoundException', `Event bus ${String(name)} does not exist.`);
}

function ruleOf(region: RegionState, name: unknown): Rule {
  const rule = rulesOf(region).get(String(name));
  if (!rule) throw new AwsError('ResourceNotFoundException', `Rule ${String(name)} does not exist.`);
  return rule;
}

/** One value of a pattern array: a literal, or `{prefix}`, `{exists}`, `{"anything-but"}`. */
function matchesValue(want: unknown, have: unknown, present: boolean): boolean {
  if (want !== null && typeof want === 'object' && !Array.isArray(want)) {
    const w = want as Record<string, unknown>;
    if ('exists' in w) return Boolean(w.exists) === present;
    if (!present) return false;
    if ('prefix' in w) return typeof have === 'string' && have.startsWith(String(w.prefix));
    if ('anything-but' in w) {
      const no = Array.isArray(w['anything-but']) ? w['anything-but'] : [w['anything-but']];
      return !no.includes(have);
    }
    return false;
  }
  return present && want === have;
}

/** EventBridge's matching: every field of the pattern matches; arrays match any of their values. */
export function matchesPattern(pattern: Record<string, unknown>, event: Record<string, unknown>): boolean {
  return Object.entries(pattern).every(([k, want]) => {
    const present = k in event && event[k] !== undefined;
    const have = event[k];
    if (Array.isArray(want)) {
      const values = Array.isArray(have) ? have : [have];
      return want.some((w) => values.some((v) => matchesValue(w, v, present)));
    }
    if (want !== null && typeof want === 'object')
      return (
        have !== null &&
        typeof have === 'object' &&
        matchesPattern(want as Record<string, unknown>, have as Record<string, unknown>)
      );
    return false;
  });
}

function parsePattern(text: unknown): Record<string, unknown> {
  try {
    const p: unknown = JSON.parse(String(text));
    if (p && typeof p === 'object' && !Array.isArray(p)) return p as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new AwsError('InvalidEventPatternException', 'Event pattern is not valid.');
}

/**
 * Puts an event on the region's default bus: every enabled rule whose pattern matches sends the
 * event JSON to its SQS targets. A target whose queue is gone is skipped (a failed invocation).
 */
export function publishEvent(region: RegionState, event: Omit<BusEvent, 'version' | 'id'>): void {
  const full: BusEvent = { version: '0', id: randomUUID(), ...event };
  const now = region.world.clock.now();
  for (const rule of rulesOf(region).values()) {
    if (rule.state !== 'ENABLED' || !matchesPattern(rule.pattern, full as unknown as Record<string, unknown>))
      continue;
    for (const t of rule.targets.values()) {
      const queue = queueByArn(region.world, t.Arn);
      if (queue) sendToQueue(queue, JSON.stringify(full), now);
    }
  }
}

export const eventBridgeService: AwsService = {
  signingName: 'events',
  // Rules are not modelled as IAM resources: each operation on `*`.
  iam: {
    PutRule: onAnyResource,
    PutTargets: onAnyResource,
    RemoveTargets: onAnyResource,
    DeleteRule: onAnyResource,
  },
  protocol: 'json',
  model: 'events',
  handlers: {
    PutRule: (req, { region }) => {
      busOf(req.params.EventBusName);
      const name = String(req.params.Name);
      if (!/^[.\-_A-Za-z0-9]{1,64}$/.test(name))
        throw new AwsError('ValidationException', `Rule name ${name} is not valid.`);
      if (req.params.EventPattern === undefined && req.params.ScheduleExpression === undefined)
        throw new AwsError(
          'ValidationException',
          'Parameter(s) EventPattern or ScheduleExpression must be specified.',
        );
      const pattern = req.params.EventPattern === undefined ? {} : parsePattern(req.params.EventPattern);
      const rules = rulesOf(region);
      const existing = rules.get(name);
      const rule: Rule = {
        name,
        arn: `arn:aws:events:${region.name}:${region.world.accountId}:rule/${name}`,
        pattern,
        state: String(req.params.State ?? 'ENABLED'),
        targets: existing?.targets ?? new Map(),
      };
      rules.set(name, rule);
      return { RuleArn: rule.arn };
    },
    PutTargets: (req, { region }) => {
      busOf(req.params.EventBusName);
      const rule = ruleOf(region, req.params.Rule);
      const targets = (req.params.Targets as { Id: string; Arn: string }[] | undefined) ?? [];
      for (const t of targets) rule.targets.set(t.Id, { Id: t.Id, Arn: t.Arn });
      return { FailedEntryCount: 0, FailedEntries: [] };
    },
    RemoveTargets: (req, { region }) => {
      busOf(req.params.EventBusName);
      const rule = ruleOf(region, req.params.Rule);
      for (const id of (req.params.Ids as string[] | undefined) ?? []) rule.targets.delete(id);
      return { FailedEntryCount: 0, FailedEntries: [] };
    },
    DeleteRule: (req, { region }) => {
      busOf(req.params.EventBusName);
      const rules = rulesOf(region);
      const rule = rules.get(String(req.params.Name));
      if (rule?.targets.size)
        throw new AwsError('ValidationException', "Rule can't be deleted since it has targets.");
      rules.delete(String(req.params.Name));
      return {};
    },
  },
};
