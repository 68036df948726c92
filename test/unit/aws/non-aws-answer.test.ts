// A proxy's HTML page instead of an AWS answer: one line with operation, HTTP status and endpoint,
// after the SDK's bounded retries; AWS's own errors pass through untouched.
import { Readable } from 'node:stream';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { describeError } from '../../../src/core/errors.js';
import { isNonAwsAnswer, reportNonAwsAnswers } from '../../../src/aws/non-aws-answer.js';

function clientAnswering(status: number, headers: Record<string, string>, body: string) {
  let calls = 0;
  const client = new AutoScalingClient({
    region: 'us-east-1',
    endpoint: 'http://proxy.example:8080',
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    maxAttempts: 3,
    requestHandler: {
      handle: async () => {
        calls++;
        return { response: { statusCode: status, headers, body: Readable.from([Buffer.from(body)]) } };
      },
    } as never,
  });
  reportNonAwsAnswers(client as never);
  return { client, calls: () => calls };
}

const HTML =
  '<html><head><title>500 Internal Server Error</title></head><body><h1>oops</h1><hr></body></html>';

describe('non-AWS answers', () => {
  it('an HTML 500 fails in one line naming the operation, the status and the endpoint, after bounded retries', async () => {
    const { client, calls } = clientAnswering(500, { 'content-type': 'text/html' }, HTML);
    const err = await client.send(new DescribeAutoScalingGroupsCommand({})).catch((e: unknown) => e);
    const line = describeError(err);
    expect(line).toBe(
      'DescribeAutoScalingGroups: http://proxy.example:8080 answered HTTP 500 with text/html: "500 Internal Server Error", ' +
        'not an AWS response (3 attempts); check AWS_ENDPOINT_URL, the proxy settings and the region',
    );
    expect(line).not.toContain('\n');
    expect(calls()).toBe(3);
  });

  it("leaves AWS's own errors alone", async () => {
    const xml =
      '<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>bad</Message></Error><RequestId>r-1</RequestId></ErrorResponse>';
    const { client } = clientAnswering(400, { 'content-type': 'text/xml', 'x-amzn-requestid': 'r-1' }, xml);
    const err = await client.send(new DescribeAutoScalingGroupsCommand({})).catch((e: unknown) => e);
    expect(isNonAwsAnswer(err)).toBe(false);
    expect(err).toMatchObject({ name: 'ValidationError', message: 'bad' });
  });
});
