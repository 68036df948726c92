/**
 * Reads service and region from a SigV4 credential scope (`Credential=AKID/date/region/service/aws4_request`),
 * in the Authorization header or a presigned URL. Signatures are not verified: any dummy keys work.
 */
export interface CredentialScope {
  accessKeyId: string;
  region: string;
  service: string;
}

const SCOPE = /Credential=([^/\s,]+)\/\d{8}\/([^/\s,]+)\/([^/\s,]+)\/aws4_request/;

export function credentialScope(
  authorization: string | undefined,
  query?: URLSearchParams,
): CredentialScope | undefined {
  const fromHeader = authorization?.match(SCOPE);
  if (fromHeader) return { accessKeyId: fromHeader[1]!, region: fromHeader[2]!, service: fromHeader[3]! };
  const credential = query?.get('X-Amz-Credential');
  const fromQuery = credential ? `Credential=${credential}`.match(SCOPE) : null;
  if (fromQuery) return { accessKeyId: fromQuery[1]!, region: fromQuery[2]!, service: fromQuery[3]! };
  return undefined;
}
