// The variables bake-ami gives a Packer template, in either format.
import type { PackerTemplate } from './template.js';

export interface OurPackerVars {
  sourceAmiId: string;
  amiName: string;
  region: string;
  bakeId: string;
  /** The bake's name: run_tags' golden-ami:builder, which the shipped Packer policies ask for. */
  bakeName: string;
  /** Clock ms after which a later bake's janitor may take what a killed job left (run_tags' golden-ami:expires-at). */
  expiresAt?: number;
  /** The bake's `tags`; a template may put them on its builder and volumes too. */
  tags: Record<string, string>;
}

/**
 * What bake-ami passes: source_ami and ami_name always; region, bake_id, bake_name, expires_at and bake_tags (a JSON
 * object, which HCL also reads as an object) to a JSON template, which accepts variables it does
 * not declare, and to an HCL template only when it declares them: Packer fails an HCL build on
 * "Undefined -var variable". The user's packer-vars come last and win.
 */
export function packerVariables(
  t: Pick<PackerTemplate, 'format' | 'declaredVars'>,
  o: OurPackerVars,
  userVars: Record<string, string>,
): Record<string, string> {
  const optional: Record<string, string> = {
    region: o.region,
    bake_id: o.bakeId,
    bake_name: o.bakeName,
    ...(o.expiresAt !== undefined ? { expires_at: new Date(o.expiresAt).toISOString() } : {}),
    bake_tags: JSON.stringify(o.tags),
  };
  const declared = new Set(t.declaredVars ?? []);
  const passed = Object.entries(optional).filter(([name]) => t.format === 'json' || declared.has(name));
  return { source_ami: o.sourceAmiId, ami_name: o.amiName, ...Object.fromEntries(passed), ...userVars };
}
