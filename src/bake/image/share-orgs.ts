// Launch permission for share-with-organizations and share-with-organizational-units: principals as
// strings (an account id or an ARN) and the LaunchPermission each one is in ModifyImageAttribute.
import type { LaunchPermission } from '@aws-sdk/client-ec2';

/**
 * ModifyImageAttribute's LaunchPermission names an account (UserId), an organization
 * (OrganizationArn) or an OU (OrganizationalUnitArn): "The Amazon Resource Name (ARN) of an
 * organizational unit (OU). This parameter can be used only when the Attribute parameter is
 * launchPermission." (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyImageAttribute.html)
 */
export function launchPermission(principal: string): LaunchPermission {
  if (/^arn:[^:]+:organizations::\d{12}:ou\//.test(principal)) return { OrganizationalUnitArn: principal };
  if (principal.startsWith('arn:')) return { OrganizationArn: principal };
  return { UserId: principal };
}

/** Who a launch permission names, in the form launchPermission() takes. */
export const launchPrincipal = (p: LaunchPermission): string | undefined =>
  p.UserId ?? p.OrganizationArn ?? p.OrganizationalUnitArn ?? p.Group;

/** Everyone the image is shared with: accounts, then organizations, then OUs. */
export const launchPrincipals = (o: {
  shareWithAccounts: string[];
  shareWithOrganizations: string[];
  shareWithOrganizationalUnits: string[];
}): string[] => [...o.shareWithAccounts, ...o.shareWithOrganizations, ...o.shareWithOrganizationalUnits];
