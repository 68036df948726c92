// The client factory builds only the SDK clients an entry declared; asking for any other is a bug.
import { EC2Client } from '@aws-sdk/client-ec2';
import { createAwsClients } from '../../../src/aws/clients.js';

describe('createAwsClients', () => {
  it('builds a declared client once per region, with adaptive retries', async () => {
    const clients = createAwsClients({ region: 'eu-west-1', action: 'reap', services: { ec2: EC2Client } });
    try {
      const home = clients.ec2();
      expect(home).toBeInstanceOf(EC2Client);
      expect(clients.ec2('eu-west-1')).toBe(home);
      const other = clients.ec2('us-east-2');
      expect(other).not.toBe(home);
      expect(await other.config.region()).toBe('us-east-2');
      expect(await home.config.retryStrategy()).toHaveProperty('mode', 'adaptive');
    } finally {
      clients.destroy();
    }
  });

  it('refuses a client the entry did not declare, naming the action and the client', () => {
    const clients = createAwsClients({ region: 'eu-west-1', action: 'reap', services: { ec2: EC2Client } });
    expect(() => clients.ssm()).toThrow(
      'bug: reap uses the ssm client but its entry does not pass it to awsClients',
    );
    expect(() => clients.autoScaling('us-east-1')).toThrow(/^bug: reap uses the autoScaling client/);
  });
});
