import type { AwsService } from './service.js';
import { credentialScope } from './sigv4.js';

/** STS GetCallerIdentity: the caller is a user of the simulated account, named by its access key. */
export const stsService: AwsService = {
  signingName: 'sts',
  protocol: 'query',
  model: 'sts',
  handlers: {
    GetCallerIdentity: (req, { world }) => {
      const auth = req.headers.authorization;
      const accessKeyId =
        credentialScope(typeof auth === 'string' ? auth : undefined)?.accessKeyId ?? 'AKIDLOCALCLOUD';
      return {
        UserId: accessKeyId,
        Account: world.accountId,
        Arn: `arn:aws:iam::${world.accountId}:user/localcloud`,
      };
    },
  },
};
