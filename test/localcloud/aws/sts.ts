import type { AwsService } from './service.js';
import { credentialScope } from './sigv4.js';
import { callerAccount } from './accounts.js';
import { noAuthorization } from '../iam-context.js';

/** STS GetCallerIdentity: the caller is a user of the account its access key maps to (aws/accounts.ts). */
export const stsService: AwsService = {
  signingName: 'sts',
  protocol: 'query',
  model: 'sts',
  iam: { GetCallerIdentity: noAuthorization },
  handlers: {
    GetCallerIdentity: (req, { world }) => {
      const auth = req.headers.authorization;
      const accessKeyId =
        credentialScope(typeof auth === 'string' ? auth : undefined)?.accessKeyId ?? 'AKIDLOCALCLOUD';
      const account = callerAccount(world, req.headers);
      return { UserId: accessKeyId, Account: account, Arn: `arn:aws:iam::${account}:user/localcloud` };
    },
  },
};
