// The wait-healthy inputs: one Field per action.yml input, defaults identical to action.yml.
import { boolean, decimal, integer, json, keyValues, list, string } from '../core/input-fields.js';
import { defineAction, type Inputs } from '../core/inputs.js';
import { parseRefreshes } from './watched-refresh.js';
import { regionInput, regionList } from '../aws/regions.js';
import { QUEUE_URL, QUEUE_URL_ACCEPTED } from './queue-url.js';

const seconds = (o: { default: string; min: number; max: number }) =>
  decimal({ ...o, what: 'number of seconds' });

/** Host must be an instance placeholder so the check can only ever reach the instances themselves. */
export const HEALTH_URL = /^https?:\/\/\{(private-ip|private-dns)\}(:\d{1,5})?(\/[^\s]*)?$/;

export const waitHealthySpec = defineAction({
  name: 'wait-healthy',
  inputs: {
    refreshes: json(parseRefreshes, {
      accepted: 'roll-asg\'s refreshes output: a JSON list of {"region", "group", "refreshId", ...}',
    }),
    'asg-names': list({
      unique: true,
      pattern: /^[\w\-.:/@ ]{1,255}$/,
      accepted: 'Auto Scaling group names',
    }),
    'asg-tags': keyValues({ maxItems: 10 }),
    regions: regionList(),
    region: regionInput(),
    'expected-ami-id': string({
      pattern: /^ami-[0-9a-f]{8,17}$/,
      accepted: 'an AMI id (ami-0123456789abcdef0)',
    }),
    'health-url': string({
      pattern: HEALTH_URL,
      accepted:
        'an http(s) URL whose host is {private-ip} or {private-dns}, e.g. http://{private-ip}:8080/version ({instance-id} may appear in the path)',
    }),
    'expected-version': string({ maxLength: 200 }),
    'health-url-timeout-seconds': integer({ default: '5', min: 1, max: 120 }),
    'unhealthy-grace-seconds': integer({ default: '300', min: 0, max: 86_400 }),
    'timeout-minutes': integer({ default: '60', min: 1, max: 1440 }),
    'rollback-on-failure': boolean({ default: 'true' }),
    'max-requests-per-second': decimal({
      default: '2',
      min: 0.1,
      max: 100,
      what: 'number of requests per second',
    }),
    'poll-interval-seconds': seconds({ default: '15', min: 0.1, max: 3600 }),
    'max-poll-interval-seconds': seconds({ default: '60', min: 0.1, max: 3600 }),
    'events-queue-url': string({ pattern: QUEUE_URL, accepted: QUEUE_URL_ACCEPTED }),
  },
  outputs: ['status', 'results'],
  rules: [
    { atLeastOne: ['refreshes', 'asg-names', 'asg-tags'] },
    { atMostOne: ['refreshes', 'asg-names'] },
    { atMostOne: ['refreshes', 'asg-tags'] },
    { requires: ['expected-version', 'health-url'] },
  ],
  check(v, problem, isSet) {
    // An unset maximum simply rises to the minimum; a conflicting one the user gave is an error.
    if (isSet('max-poll-interval-seconds') && v.maxPollIntervalSeconds < v.pollIntervalSeconds)
      problem(
        `max-poll-interval-seconds: ${v.maxPollIntervalSeconds} is below poll-interval-seconds (${v.pollIntervalSeconds}); accepted: at least poll-interval-seconds`,
      );
    if (isSet('regions') && isSet('refreshes'))
      problem('regions: applies to asg-names/asg-tags only; entries of refreshes carry their own region');
  },
});

export type WaitHealthyInputs = Inputs<typeof waitHealthySpec.inputs>;
