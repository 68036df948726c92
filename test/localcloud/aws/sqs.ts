// Amazon SQS (AWS JSON 1.0, `X-Amz-Target: AmazonSQS.<Operation>`, query-compatible error codes):
// standard queues with visibility timeouts and true long polling — a ReceiveMessage with
// WaitTimeSeconds answers as soon as a message arrives, or empty when the wait ends, and stops
// waiting when the client goes away. What wait-healthy's events-queue-url reads (FIDELITY.md, SQS).
import { createHash, randomUUID } from 'node:crypto';
import { callerAccount } from './accounts.js';
import type { RegionState, World } from '../state.js';
import { AwsError, type AwsService, type HandlerContext } from './service.js';
import type { IamMapping } from '../iam-context.js';

interface Message {
  id: string;
  body: string;
  md5: string;
  sentAt: number;
  /** World time from which the message may be received again. */
  visibleAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
  /** The handle of the latest receive; older handles still delete it, as SQS allows. */
  receipts: Set<string>;
}

export interface Queue {
  name: string;
  account: string;
  region: string;
  arn: string;
  url: string;
  createdAt: number;
  attributes: Record<string, string>;
  messages: Message[];
  /** Long polls waiting for a message, woken by sendToQueue. */
  waiters: Set<() => void>;
}

const DEFAULT_ATTRIBUTES: Record<string, string> = {
  VisibilityTimeout: '30',
  ReceiveMessageWaitTimeSeconds: '0',
  MessageRetentionPeriod: '345600',
  DelaySeconds: '0',
  MaximumMessageSize: '262144',
};

const NAME = /^[A-Za-z0-9_-]{1,80}$/;

/** Query-protocol codes SQS keeps in `x-amzn-query-error` next to the JSON `__type` (awsQueryCompatible). */
export const SQS_QUERY_CODES: Record<string, string> = {
  QueueDoesNotExist: 'AWS.SimpleQueueService.NonExistentQueue',
  QueueNameExists: 'QueueAlreadyExists',
  EmptyBatchRequest: 'AWS.SimpleQueueService.EmptyBatchRequest',
  TooManyEntriesInBatchRequest: 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
  BatchEntryIdsNotDistinct: 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct',
  InvalidBatchEntryId: 'AWS.SimpleQueueService.InvalidBatchEntryId',
};

function queuesOf(region: RegionState): Map<string, Queue> {
  return region.serviceState('sqs', () => new Map<string, Queue>());
}

const key = (account: string, name: string) => `${account}/${name}`;

const notFound = () => new AwsError('QueueDoesNotExist', 'The specified queue does not exist.');

/** `http(s)://<any host>/<account>/<name>`: the SDK sends to its endpoint, so only the path names the queue. */
function queueOf(ctx: HandlerContext, url: unknown): Queue {
  let path: string;
  try {
    path = new URL(String(url)).pathname;
  } catch {
    throw new AwsError('InvalidAddress', `The address ${String(url)} is not valid for this endpoint.`);
  }
  const m = /^\/(\d{12})\/([^/]+)$/.exec(path);
  const q = m ? queuesOf(ctx.region).get(key(m[1]!, m[2]!)) : undefined;
  if (!q) throw notFound();
  return q;
}

function seconds(ctx: HandlerContext, s: number): number {
  return s * ctx.world.durations.apiSecond;
}

/** SQS's integer parameters: their range and the reason SQS gives when a value is outside it. */
const LIMITS: Record<string, [number, number, string]> = {
  MaxNumberOfMessages: [1, 10, 'Must be between 1 and 10, if provided.'],
  WaitTimeSeconds: [0, 20, 'Must be >= 0 and <= 20, if provided.'],
  VisibilityTimeout: [0, 43_200, 'Must be between 0 and 43200, if provided.'],
  DelaySeconds: [0, 900, 'Must be between 0 and 900, if provided.'],
};

/** The parameter, checked against LIMITS, or the fallback when the request leaves it out. */
function intParam(params: Record<string, unknown>, name: string, fallback: number): number {
  const value = params[name];
  if (value === undefined) return fallback;
  const [min, max, reason] = LIMITS[name]!;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw new AwsError(
      'InvalidParameterValue',
      `Value ${String(value)} for parameter ${name} is invalid. Reason: ${reason}`,
    );
  return value;
}

/** Appends a message (SendMessage, and EventBridge delivering to a queue target) and wakes a long poll. */
export function sendToQueue(queue: Queue, body: string, now: number, delayMs = 0): Message {
  const message: Message = {
    id: randomUUID(),
    body,
    md5: createHash('md5').update(body, 'utf8').digest('hex'),
    sentAt: now,
    visibleAt: now + delayMs,
    receiveCount: 0,
    receipts: new Set(),
  };
  queue.messages.push(message);
  for (const wake of [...queue.waiters]) wake();
  return message;
}

/** The queue an `arn:aws:sqs:<region>:<account>:<name>` names, in whichever region of the world. */
export function queueByArn(world: World, arn: string): Queue | undefined {
  const m = /^arn:aws[\w-]*:sqs:([\w-]+):(\d{12}):([^:]+)$/.exec(arn);
  if (!m) return undefined;
  return queuesOf(world.region(m[1]!)).get(key(m[2]!, m[3]!));
}

function take(queue: Queue, now: number, max: number, visibilityMs: number): Message[] {
  const retentionMs = Number(queue.attributes.MessageRetentionPeriod) * 1000;
  queue.messages = queue.messages.filter((m) => now - m.sentAt < retentionMs);
  const got = queue.messages.filter((m) => m.visibleAt <= now).slice(0, max);
  for (const m of got) {
    m.visibleAt = now + visibilityMs;
    m.receiveCount++;
    m.firstReceivedAt ??= now;
    m.receipts.add(`${m.id}#${randomUUID()}`);
  }
  return got;
}

/** Waits until woken, the timer ends, or the client goes away. */
function longPoll(queue: Queue, ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      queue.waiters.delete(done);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    queue.waiters.add(done);
    signal?.addEventListener('abort', done, { once: true });
  });
}

function deleteByHandle(queue: Queue, handle: unknown): void {
  if (typeof handle !== 'string' || !/^[0-9a-f-]{36}#[0-9a-f-]{36}$/.test(handle))
    throw new AwsError(
      'ReceiptHandleIsInvalid',
      `The input receipt handle "${String(handle)}" is not valid.`,
    );
  // Deleting a message already deleted succeeds, as SQS does.
  queue.messages = queue.messages.filter((m) => !m.receipts.has(handle));
}

function attributesOf(queue: Queue, now: number): Record<string, string> {
  const visible = queue.messages.filter((m) => m.visibleAt <= now).length;
  return {
    ...queue.attributes,
    QueueArn: queue.arn,
    ApproximateNumberOfMessages: String(visible),
    ApproximateNumberOfMessagesNotVisible: String(queue.messages.length - visible),
    CreatedTimestamp: String(Math.floor(queue.createdAt / 1000)),
  };
}

/** SQS authorizes on the queue's ARN; DeleteMessageBatch is `sqs:DeleteMessage` (there is no batch action). */
export const onQueue: IamMapping = ({ operation, params, region }) => {
  const action = `sqs:${operation.replace(/Batch$/, '')}`;
  let path = '';
  try {
    path = new URL(String(params.QueueUrl ?? '')).pathname;
  } catch {
    // no queue url: CreateQueue, GetQueueUrl name the queue themselves
  }
  const m = /^\/(\d{12})\/([^/]+)$/.exec(path);
  const name = m?.[2] ?? (typeof params.QueueName === 'string' ? params.QueueName : '*');
  const account = m?.[1] ?? region.world.accountId;
  return [{ action, resource: `arn:aws:sqs:${region.name}:${account}:${name}`, context: {} }];
};

const SQS_OPERATIONS = [
  'CreateQueue',
  'GetQueueUrl',
  'GetQueueAttributes',
  'SendMessage',
  'ReceiveMessage',
  'DeleteMessage',
  'DeleteMessageBatch',
  'DeleteQueue',
];

export const sqsService: AwsService = {
  iam: Object.fromEntries(SQS_OPERATIONS.map((op) => [op, onQueue])),
  signingName: 'sqs',
  protocol: 'json',
  model: 'sqs',
  queryErrorCodes: SQS_QUERY_CODES,
  handlers: {
    CreateQueue: (req, ctx) => {
      const name = String(req.params.QueueName);
      if (!NAME.test(name))
        throw new AwsError(
          'InvalidParameterValue',
          'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length',
        );
      const account = callerAccount(ctx.world, req.headers);
      const attributes = {
        ...DEFAULT_ATTRIBUTES,
        ...((req.params.Attributes as Record<string, string>) ?? {}),
      };
      const queues = queuesOf(ctx.region);
      const existing = queues.get(key(account, name));
      if (existing) {
        const same = Object.entries(attributes).every(([k, v]) => existing.attributes[k] === v);
        if (!same)
          throw new AwsError(
            'QueueNameExists',
            'A queue already exists with the same name and a different value for attribute(s)',
          );
        return { QueueUrl: existing.url };
      }
      const host = typeof req.headers.host === 'string' ? req.headers.host : '127.0.0.1';
      const queue: Queue = {
        name,
        account,
        region: ctx.region.name,
        arn: `arn:aws:sqs:${ctx.region.name}:${account}:${name}`,
        url: `http://${host}/${account}/${name}`,
        createdAt: ctx.now,
        attributes,
        messages: [],
        waiters: new Set(),
      };
      queues.set(key(account, name), queue);
      return { QueueUrl: queue.url };
    },
    GetQueueUrl: (req, ctx) => {
      const account = String(req.params.QueueOwnerAWSAccountId ?? callerAccount(ctx.world, req.headers));
      const q = queuesOf(ctx.region).get(key(account, String(req.params.QueueName)));
      if (!q) throw notFound();
      return { QueueUrl: q.url };
    },
    GetQueueAttributes: (req, ctx) => {
      const q = queueOf(ctx, req.params.QueueUrl);
      const all = attributesOf(q, ctx.now);
      const names = (req.params.AttributeNames as string[] | undefined) ?? [];
      const wanted = names.includes('All') ? Object.keys(all) : names;
      return { Attributes: Object.fromEntries(wanted.filter((n) => n in all).map((n) => [n, all[n]!])) };
    },
    DeleteQueue: (req, ctx) => {
      const q = queueOf(ctx, req.params.QueueUrl);
      queuesOf(ctx.region).delete(key(q.account, q.name));
      for (const wake of [...q.waiters]) wake();
      return {};
    },
    SendMessage: (req, ctx) => {
      const q = queueOf(ctx, req.params.QueueUrl);
      const delay = intParam(req.params, 'DelaySeconds', Number(q.attributes.DelaySeconds));
      const m = sendToQueue(q, String(req.params.MessageBody ?? ''), ctx.now, seconds(ctx, delay));
      return { MessageId: m.id, MD5OfMessageBody: m.md5 };
    },
    ReceiveMessage: async (req, ctx) => {
      const q = queueOf(ctx, req.params.QueueUrl);
      const max = intParam(req.params, 'MaxNumberOfMessages', 1);
      const wait = intParam(
        req.params,
        'WaitTimeSeconds',
        Number(q.attributes.ReceiveMessageWaitTimeSeconds),
      );
      const visibility = intParam(req.params, 'VisibilityTimeout', Number(q.attributes.VisibilityTimeout));
      // WaitTimeSeconds bounds an HTTP request, so it is real seconds; VisibilityTimeout is world time.
      const until = Date.now() + wait * 1000;
      let got = take(q, ctx.world.clock.now(), max, seconds(ctx, visibility));
      while (!got.length && Date.now() < until && !ctx.signal?.aborted) {
        await longPoll(q, Math.min(until - Date.now(), 250), ctx.signal);
        if (!queuesOf(ctx.region).has(key(q.account, q.name))) throw notFound();
        got = take(q, ctx.world.clock.now(), max, seconds(ctx, visibility));
      }
      return {
        Messages: got.map((m) => ({
          MessageId: m.id,
          ReceiptHandle: [...m.receipts].at(-1),
          MD5OfBody: m.md5,
          Body: m.body,
          Attributes: {
            ApproximateReceiveCount: String(m.receiveCount),
            SentTimestamp: String(m.sentAt),
            ApproximateFirstReceiveTimestamp: String(m.firstReceivedAt ?? m.sentAt),
          },
        })),
      };
    },
    DeleteMessage: (req, ctx) => {
      deleteByHandle(queueOf(ctx, req.params.QueueUrl), req.params.ReceiptHandle);
      return {};
    },
    DeleteMessageBatch: (req, ctx) => {
      const q = queueOf(ctx, req.params.QueueUrl);
      const entries = (req.params.Entries as { Id: string; ReceiptHandle: string }[] | undefined) ?? [];
      if (!entries.length)
        throw new AwsError(
          'EmptyBatchRequest',
          'There should be at least one DeleteMessageBatchRequestEntry in the request.',
        );
      if (entries.length > 10)
        throw new AwsError(
          'TooManyEntriesInBatchRequest',
          `Maximum number of entries per request are 10. You have sent ${entries.length}.`,
        );
      if (new Set(entries.map((e) => e.Id)).size !== entries.length)
        throw new AwsError(
          'BatchEntryIdsNotDistinct',
          'Id in DeleteMessageBatchRequestEntry must be unique.',
        );
      const Successful: { Id: string }[] = [];
      const Failed: { Id: string; SenderFault: boolean; Code: string; Message: string }[] = [];
      for (const e of entries) {
        try {
          deleteByHandle(q, e.ReceiptHandle);
          Successful.push({ Id: e.Id });
        } catch (err) {
          const a = err as AwsError;
          Failed.push({ Id: e.Id, SenderFault: true, Code: a.code, Message: a.message });
        }
      }
      return { Successful, Failed };
    },
  },
};
