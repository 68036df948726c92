// The wait-healthy inputs: one Field per action.yml input, defaults identical to action.yml.
import {
  amiId,
  boolean,
  decimal,
  duration,
  groupSelection,
  healthUrl,
  json,
  string,
  waitPace,
  waitPaceProblem,
} from '../core/input-fields.js';
import { defineAction, type Inputs } from '../core/inputs.js';
import { parseRefreshes } from './watched-refresh.js';
import { QUEUE_URL, QUEUE_URL_ACCEPTED } from './queue-url.js';

export const waitHealthySpec = defineAction({
  name: 'wait-healthy',
  inputs: {
    refreshes: json(parseRefreshes, {
      description:
        'The refreshes to watch, as roll-asg\'s `refreshes` output: a JSON list of {"region", "group", "refreshId", "newVersion", "previousVersion", "amiId", ...}. Give this, or `asg-names`/`asg-tags`.',
      accepted: 'roll-asg\'s refreshes output: a JSON list of {"region", "group", "refreshId", ...}',
    }),
    ...groupSelection({
      'asg-names':
        'Auto Scaling group names (one per line or comma-separated) whose latest instance refresh to watch. May be combined with `asg-tags`.',
      'asg-tags':
        'Select groups by tags, `Key=Value` one per line or comma-separated; a group must match all of them. Their latest instance refresh is watched.',
      regions:
        'Regions in which to look up `asg-names`/`asg-tags` (one per line or comma-separated). Defaults to `region`. Entries of `refreshes` carry their own region.',
      region: 'AWS region used when `regions` is empty. Defaults to AWS_REGION / AWS_DEFAULT_REGION.',
    }),
    'expected-ami-id': amiId({
      description:
        'The AMI every instance must run. By default it is taken from `refreshes` or from the launch template version the refresh deploys.',
    }),
    'health-url': healthUrl(
      'Optional HTTP check of every InService instance, a URL template whose host is `{private-ip}` or `{private-dns}`, e.g. `http://{private-ip}:8080/version`; `{instance-id}` may appear in the path. Each instance must answer 2xx.',
    ),
    'expected-version': string({
      description:
        'With `health-url`: text the response body of every instance must contain (catches stale code).',
      maxLength: 200,
    }),
    'health-url-timeout': duration({
      description:
        'Time allowed for one `health-url` request: a duration from 100ms to 2m such as 500ms, 5s or 30s (a bare number is seconds).',
      default: '5s',
      whole: false,
      min: 0.1,
      max: 120,
      formerly: { name: 'health-url-timeout-seconds', unit: 's' },
    }),
    'unhealthy-grace': duration({
      description:
        'How long an instance may stay unhealthy (load balancer target `unhealthy`, or failing `health-url`) before the wait fails: a duration up to 1d such as 90s or 5m (a bare number is seconds).',
      default: '5m',
      whole: false,
      min: 0,
      max: 86_400,
      formerly: { name: 'unhealthy-grace-seconds', unit: 's' },
    }),
    'rollback-on-failure': boolean({
      description:
        'On failure or timeout, roll the instance refresh back with RollbackInstanceRefresh where AWS allows it (cancel it otherwise, saying why) and wait for the rollback to finish.',
      default: 'true',
    }),
    'max-requests-per-second': decimal({
      description:
        'Request budget per region and service, shared by all watched groups. AWS throttles all Auto Scaling APIs of an account and region from one bucket; keep this low when other tools poll too.',
      default: '2',
      min: 0.1,
      max: 100,
      what: 'number of requests per second',
    }),
    ...waitPace({
      timeout:
        'Give up after this long (status `timed-out`): a duration with its unit such as 90m or 1h (a bare number is refused: it would be seconds).',
      'poll-interval':
        'Shortest time between two polls of a group: a duration such as 15s or 500ms (a bare number is seconds).',
      'max-poll-interval':
        "Longest time between two polls of a group, a duration such as 60s or 2m (a bare number is seconds). Between the two bounds the interval adapts to the refresh's pace.",
    }),
    'events-queue-url': string({
      description:
        "Optional SQS queue that an EventBridge rule fills with Auto Scaling's instance refresh events (see the README for the rule and queue). The wait long-polls it and looks at a refresh as soon as an event names it; polling every max-poll-interval stays as the safety net. If the queue cannot be read the wait warns once and polls as without it.",
      pattern: QUEUE_URL,
      accepted: QUEUE_URL_ACCEPTED,
    }),
  },
  outputs: {
    status:
      'Overall outcome: `healthy`, `failed`, `rolled-back` or `timed-out` (the worst of all groups). The step fails unless `healthy`.',
    results:
      "JSON list with one entry per group: region, group, refreshId, status, refreshStatus and refreshStatusFrom (`read`, or `desired-configuration`: proven by the group taking the refresh's desired configuration, then `Successful (desired configuration applied)`), statusReason, expected template version and AMI, instance counts, targetsFrom (`described` or `auto-scaling`: the group's ELB health check), action taken, and timings.",
  },
  rules: [
    { atLeastOne: ['refreshes', 'asg-names', 'asg-tags'] },
    { atMostOne: ['refreshes', 'asg-names'] },
    { atMostOne: ['refreshes', 'asg-tags'] },
    { requires: ['expected-version', 'health-url'] },
  ],
  check(v, problem, isSet) {
    const pace = waitPaceProblem(v, isSet);
    if (pace) problem(pace);
    if (isSet('regions') && isSet('refreshes'))
      problem('regions: applies to asg-names/asg-tags only; entries of refreshes carry their own region');
  },
});

export type WaitHealthyInputs = Inputs<typeof waitHealthySpec.inputs>;
