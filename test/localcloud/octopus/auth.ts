// Octopus authentication: an API key in `X-Octopus-ApiKey`, or an OIDC access token as
// `Authorization: Bearer …` (what OctopusDeploy/login exports as OCTOPUS_ACCESS_TOKEN).
import type { IncomingHttpHeaders } from 'node:http';
import { OctopusHttpError } from './routes.js';

export const DEFAULT_API_KEY = 'API-LOCALCLOUD0000000000000000000';
export const DEFAULT_ACCESS_TOKEN = 'localcloud-access-token';

export interface Credentials {
  apiKeys: Set<string>;
  accessTokens: Set<string>;
}

const NOT_LOGGED_IN =
  'You must be logged in to perform this action. Please provide a valid API key or log in again.';
const BAD_KEY =
  'The API key you provided was not valid. Please double-check your API key and try again. For instructions on finding your API key, please visit: https://oc.to/ApiKey';
const BAD_TOKEN =
  'The access token you provided was not valid or has expired. Please obtain a new access token and try again.';

/**
 * Throws the 401 Octopus would send. The root document is readable anonymously (clients read it
 * to discover the server), but a credential that is present and wrong is refused everywhere.
 */
export function authenticate(
  headers: IncomingHttpHeaders,
  creds: Credentials,
  anonymousAllowed: boolean,
): void {
  const key = headers['x-octopus-apikey'];
  const auth = headers.authorization;
  if (typeof key === 'string' && key) {
    if (!creds.apiKeys.has(key)) throw new OctopusHttpError(401, BAD_KEY);
    return;
  }
  if (typeof auth === 'string' && /^bearer\s+/i.test(auth)) {
    if (!creds.accessTokens.has(auth.replace(/^bearer\s+/i, '').trim()))
      throw new OctopusHttpError(401, BAD_TOKEN);
    return;
  }
  if (!anonymousAllowed) throw new OctopusHttpError(401, NOT_LOGGED_IN);
}
