// Deregistration protection for the AMIs a promotion records under a protected label.
import { EnableImageDeregistrationProtectionCommand } from '@aws-sdk/client-ec2';
import { withContext } from '../core/errors.js';
import type { ActionContext } from '../core/context.js';
import type { PromoteResult } from './types.js';

export type ProtectMode = 'auto' | 'true' | 'false';

/** Protect when told to, or (auto) when the label is one of the protected labels. */
export function shouldProtect(
  mode: ProtectMode,
  label: string | undefined,
  protectedLabels: readonly string[],
): boolean {
  if (mode === 'true') return true;
  if (mode === 'false') return false;
  return label !== undefined && protectedLabels.includes(label);
}

/**
 * EnableImageDeregistrationProtection for the AMI the parameter now holds, in every region. With
 * the cooldown: "If true, enforces deregistration protection for 24 hours after deregistration
 * protection is disabled." (EnableImageDeregistrationProtection API reference) — so an AMI an
 * environment runs cannot be deregistered in a hurry. Calling it again is harmless.
 */
export async function protectPromoted(ctx: ActionContext, result: PromoteResult): Promise<void> {
  for (const r of result.regions) {
    if (result.dryRun) {
      r.notes.push(`would turn on deregistration protection (24-hour cooldown) for ${r.amiId}`);
      continue;
    }
    await ctx.clients
      .ec2(r.region)
      .send(new EnableImageDeregistrationProtectionCommand({ ImageId: r.amiId, WithCooldown: true }))
      .catch((err: unknown) => {
        throw withContext(
          `the parameter was written, but EnableImageDeregistrationProtection ${r.amiId} in ${r.region} failed`,
          err,
        );
      });
    ctx.log.info(`${r.region}: deregistration protection on for ${r.amiId} (24-hour cooldown).`);
    r.notes.push(`deregistration protection on for ${r.amiId} (24-hour cooldown)`);
  }
}
