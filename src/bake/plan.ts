// Dry run: what a bake with these inputs would do, one line each, for the log and the summary.
import type { Image } from '@aws-sdk/client-ec2';
import type { Provisioning } from './lookup/provisioning.js';
import { DOCUMENT } from './native/run-command.js';
import type { Platform, SourceImage } from './lookup/source.js';
import type { BakeOptions, BakeResult, BuilderSettings } from './types.js';

export type PlanOptions = BuilderSettings &
  Pick<BakeOptions, 'region' | 'copyToRegions' | 'shareWithAccounts' | 'shareSnapshots'>;

/** What a bake with these inputs would do, for dry-run's log and summary. */
export function planLines(
  o: PlanOptions,
  p: {
    source: SourceImage;
    platform: Platform;
    provisioning: Provisioning;
    reusable?: Image;
    result: Pick<BakeResult, 'fingerprint' | 'janitor' | 'janitorImages' | 'amiName' | 'amis'>;
  },
): string[] {
  const lines = [
    `Source: ${p.source.imageId}${p.source.name ? ` (${p.source.name})` : ''} from ${p.source.via}; platform ${p.platform}.`,
    `Fingerprint: ${p.result.fingerprint}.`,
  ];
  for (const b of p.result.janitor)
    lines.push(`Janitor would terminate ${b.instanceId} (bake ${b.bakeName}, expired ${b.expiresAt}).`);
  for (const i of p.result.janitorImages)
    lines.push(
      `Janitor would retire ${i.imageId} in ${i.region} (bake ${i.bakeId} never completed, expired ${i.expiresAt}).`,
    );
  if (p.reusable?.ImageId) {
    lines.push(
      `Would reuse ${p.reusable.ImageId} (${p.reusable.Name ?? ''}): nothing changed, nothing launched.`,
    );
  } else if (p.provisioning.kind === 'packer') {
    const t = p.provisioning.template;
    lines.push(
      `Would run ${t.requiredPlugins ? `packer init, then ` : ''}packer build on ${t.path} with source_ami=${p.source.imageId} ami_name=${p.result.amiName}.`,
    );
  } else {
    const network = [
      o.subnetId && `subnet ${o.subnetId}`,
      o.securityGroupIds.length && `security groups ${o.securityGroupIds.join(', ')}`,
    ]
      .filter(Boolean)
      .join(', ');
    lines.push(
      `Would launch a ${o.instanceType} builder${network ? ` in ${network}` : ''}${o.iamInstanceProfile ? ` with profile ${o.iamInstanceProfile}` : ''}` +
        `${o.volumeSize ? `, root volume ${o.volumeSize} GiB` : ''}${o.encrypted ? ', encrypted' : ''}; IMDSv2 required.`,
    );
    if (p.provisioning.kind === 'user-data')
      lines.push(
        `Would provision by user data (${Buffer.byteLength(p.provisioning.userData)} bytes) and wait for it to shut the builder down.`,
      );
    else {
      lines.push(
        `Would run ${p.provisioning.scripts.map((s) => s.path).join(', ')} in order as ${DOCUMENT[p.platform]}.`,
      );
      lines.push(
        p.platform === 'windows'
          ? 'Would then sysprep through EC2Launch (shutdown).'
          : 'Would then stop the builder.',
      );
    }
    lines.push(`Would create ${p.result.amiName} in ${o.region} and terminate the builder.`);
  }
  // A reused AMI's existing copies are in result.amis already: only the missing ones are copied.
  const toCopy = o.copyToRegions.filter((r) => !p.result.amis[r]);
  for (const r of o.copyToRegions.filter((c) => p.result.amis[c]))
    lines.push(`Would reuse the copy ${p.result.amis[r]} in ${r}.`);
  if (toCopy.length) lines.push(`Would copy to ${toCopy.join(', ')}.`);
  if (o.shareWithAccounts.length)
    lines.push(
      `Would share with ${o.shareWithAccounts.join(', ')}${o.shareSnapshots ? ', snapshots too (createVolumePermission)' : ''}.`,
    );
  return lines;
}
