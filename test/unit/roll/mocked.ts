// What the roll tests on aws-sdk-client-mock share: the mocks, a context whose clients they
// answer, and a group's refreshes as DescribeInstanceRefreshes lists them.
import { afterEach } from '@jest/globals';
import {
  AutoScalingClient,
  DescribeInstanceRefreshesCommand,
  type InstanceRefresh,
} from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import type { ActionContext } from '../../../src/core/context.js';
import { memoryLog } from '../../../src/core/log.js';
import { fakeClock } from '../../support/fake-clock.js';

const credentials = { accessKeyId: 'x', secretAccessKey: 'y' };
export const asg = mockClient(AutoScalingClient);
export const ec2 = mockClient(EC2Client);
afterEach(() => {
  asg.reset();
  ec2.reset();
});

export function mockedContext(now = 1_000_000): ActionContext & { log: ReturnType<typeof memoryLog> } {
  const clients = {
    defaultRegion: 'us-east-1',
    destroy: () => undefined,
    autoScaling: (region: string) => new AutoScalingClient({ region, credentials }),
    ec2: (region: string) => new EC2Client({ region, credentials }),
  };
  return {
    clients: clients as unknown as ActionContext['clients'],
    clock: fakeClock(now),
    log: memoryLog(),
    signal: new AbortController().signal,
  };
}

/** The group's one refresh, as every DescribeInstanceRefreshes answers (started at 0 unless said). */
export function refreshIs(r: InstanceRefresh): void {
  asg
    .on(DescribeInstanceRefreshesCommand)
    .resolves({ InstanceRefreshes: [{ StartTime: new Date(0), ...r }] });
}
