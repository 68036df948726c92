// The fingerprint: a sha256 of everything that changes the image, which reuse-if-unchanged looks AMIs up by.
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import type { PackerTemplate } from '../packer/template.js';
import type { Provisioning } from './provisioning.js';
import type { Platform } from './source.js';
import { imageSettingsFingerprint, type RootVolumeSettings } from '../image/root-volume.js';
import type { TestStage } from '../test-stage/load.js';

export interface FingerprintInput extends RootVolumeSettings {
  sourceAmiId: string;
  platform: Platform;
  provisioning: Provisioning;
  /** Settings that change what ends up in the image; not where or how fast it is built. */
  volumeSize?: number;
  encrypted: boolean;
  kmsKeyId?: string;
  imdsSupport?: string;
  test?: TestStage;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * A Packer bake: the template's files (a single file's by content alone, as before directories
 * were read), the var files Packer loads, every file the template names (by the path it names
 * it with: moving one changes the template too) and the variables.
 */
function packerProvisioning(t: PackerTemplate, vars: Record<string, string>) {
  const byPath = <T extends { path: string }>(xs: T[]) =>
    [...xs].sort((a, b) => a.path.localeCompare(b.path));
  return {
    packerTemplate: t.directory
      ? byPath(t.files).map((f) => [basename(f.path), sha256(f.content)])
      : sha256(t.files[0]?.content ?? ''),
    ...(t.varFiles.length
      ? { packerVarFiles: byPath(t.varFiles).map((f) => [basename(f.path), sha256(f.content)]) }
      : {}),
    ...(t.references.length
      ? { packerFiles: byPath(t.references).map((r) => [r.role, r.path, r.digest]) }
      : {}),
    packerVars: Object.entries(vars).sort(([a], [b]) => a.localeCompare(b)),
  };
}

/**
 * sha256 over a canonical JSON of everything that changes the image. Script paths are left out
 * (moving a file changes nothing); their order and content are in. Bump `v` when this changes.
 */
export function fingerprint(i: FingerprintInput): string {
  const p = i.provisioning;
  const provisioning =
    p.kind === 'user-data'
      ? { userData: sha256(p.userData) }
      : p.kind === 'scripts'
        ? { scripts: p.scripts.map((s) => sha256(s.content)) }
        : packerProvisioning(p.template, p.vars);
  const canonical = JSON.stringify({
    v: 1,
    sourceAmiId: i.sourceAmiId,
    platform: i.platform,
    kind: p.kind,
    provisioning,
    volumeSize: i.volumeSize ?? null,
    encrypted: i.encrypted,
    kmsKeyId: i.kmsKeyId ?? null,
    ...imageSettingsFingerprint(i),
    // Only when given, so an AMI baked without a test keeps its fingerprint.
    ...(i.test ? { test: sha256(i.test.kind === 'script' ? i.test.script.content : i.test.userData) } : {}),
  });
  return sha256(canonical);
}
