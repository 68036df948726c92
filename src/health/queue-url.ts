// The events-queue-url input of wait-healthy and deploy-ami: its accepted forms and region. No SDK
// import, so the input specs stay light.

/** AWS's queue URL: `https://sqs.<region>.amazonaws.com/<account>/<name>` (and .amazonaws.com.cn). */
const AWS_QUEUE_URL = /^https:\/\/sqs\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/\d{12}\/[\w-]{1,80}$/;

/** What the input accepts: any http(s) host, `<scheme>://<host>/<account>/<name>`; see queueUrlProblem. */
export const QUEUE_URL = /^https?:\/\/[^\s/?#]+\/\d{12}\/[\w-]{1,80}$/;

export const QUEUE_URL_ACCEPTED =
  'an SQS queue URL, https://sqs.<region>.amazonaws.com/<account>/<name> (another host only with AWS_ENDPOINT_URL or AWS_ENDPOINT_URL_SQS set)';

/** The queue's region from an AWS queue URL; `fallback` (the action's region) for any other host. */
export function queueRegion(queueUrl: string, fallback: string): string {
  return AWS_QUEUE_URL.exec(queueUrl)?.[1] ?? fallback;
}

/**
 * A queue URL on a host other than AWS's is accepted only when an endpoint override points the SDK
 * somewhere else too (localcloud, LocalStack); otherwise it is a mistake to report before waiting.
 */
export function queueUrlProblem(
  queueUrl: string | undefined,
  env: (name: string) => string | undefined,
): string | undefined {
  if (!queueUrl || AWS_QUEUE_URL.test(queueUrl)) return undefined;
  if (env('AWS_ENDPOINT_URL_SQS') || env('AWS_ENDPOINT_URL')) return undefined;
  return `events-queue-url: ${queueUrl} is not accepted; accepted: ${QUEUE_URL_ACCEPTED}`;
}
