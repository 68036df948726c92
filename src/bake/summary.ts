// The job summary of a bake: the image, its regions, each phase's time; or how far a failed bake got.
import { blocks, code, details, heading, seconds, table } from '../core/summary.js';
import type { BakeResult } from './types.js';
import type { CleanupReport } from './leftovers/cleanup.js';

/** Name, description, source, fingerprint, deprecation and sharing: what the image is, at a glance. */
function identity(r: BakeResult): string[][] {
  return [
    ['AMI', r.amiId ? code(r.amiId) : '(none)'],
    ['Name', r.amiName],
    ['Description', r.amiDescription ?? '(none)'],
    ['Source', `${code(r.sourceAmiId)} (${r.sourceVia})`],
    ['Platform', r.platform],
    ['Engine', r.engine],
    ['Reused', r.reused ? 'yes: fingerprint unchanged, nothing launched' : 'no'],
    ['Fingerprint', code(r.fingerprint)],
    ...(r.builderInstanceId ? [['Builder', `${code(r.builderInstanceId)} (terminated)`]] : []),
    ['Deprecated from', r.deprecationTime ?? 'not set (deprecate-after)'],
    [
      'Shared with',
      r.sharedWith.length
        ? r.sharedWith.join(', ')
        : 'no one by this bake (grants made by hand are left as they are)',
    ],
    ...(r.fastLaunch ? [['Fast launch', `on in ${r.fastLaunch.join(', ')}`]] : []),
    ['Test', r.testResult ?? (r.reused ? 'passed when it was baked, or none given' : 'none given')],
  ];
}

/** The job summary: the image, its regions, and how long each phase took. */
export function renderBakeSummary(r: BakeResult): string {
  const title = r.dryRun
    ? 'bake-ami: dry run (nothing created)'
    : r.reused
      ? `bake-ami: reused ${r.amiId ?? ''}`
      : `bake-ami: baked ${r.amiId ?? ''}`;
  const image = table(['What this image is', ''], [...identity(r), ['Total time', seconds(r.totalMs)]]);
  const regions = Object.keys(r.amis).length
    ? table(
        ['Region', 'AMI'],
        Object.entries(r.amis).map(([region, id]) => [region, code(id)]),
      )
    : undefined;
  const timings = table(
    ['Phase', 'Time', 'Outcome'],
    r.timings.map((t) => [t.phase, seconds(t.ms), t.outcome]),
  );
  const janitor = r.janitor.length
    ? details(
        `Janitor: ${r.janitor.length} expired builder(s) ${r.dryRun ? 'found' : 'terminated'}`,
        r.janitor.map((b) => `- ${code(b.instanceId)} (${b.bakeName}, expired ${b.expiresAt})`).join('\n'),
      )
    : undefined;
  const retired = r.janitorImages.length
    ? details(
        `Janitor: ${r.janitorImages.length} image(s) of unfinished bakes ${r.dryRun ? 'found' : 'retired'}`,
        r.janitorImages
          .map((i) => `- ${code(i.imageId)} in ${i.region} (bake ${i.bakeId}, expired ${i.expiresAt})`)
          .join('\n'),
      )
    : undefined;
  const packer = r.janitorPacker.length
    ? details(
        `Janitor: ${r.janitorPacker.length} Packer key pair(s) and group(s) of killed bakes ${r.dryRun ? 'found' : 'deleted'}`,
        r.janitorPacker.map((what) => `- ${what}`).join('\n'),
      )
    : undefined;
  const plan = r.plan.length ? blocks(heading('Plan', 4), r.plan.map((l) => `- ${l}`).join('\n')) : undefined;
  return `${blocks(heading(title), image, regions, plan, heading('Phases', 4), timings, janitor, retired, packer)}\n`;
}

/** A failed or cancelled bake: how far each phase got, and what was cleaned up (or was not). */
export function renderFailedBakeSummary(
  r: BakeResult,
  cleanup: CleanupReport,
  cancelled: boolean,
  failure?: string,
): string {
  const timings = table(
    ['Phase', 'Time', 'Outcome'],
    r.timings.map((t) => [t.phase, seconds(t.ms), t.outcome]),
  );
  const removed = [
    ...cleanup.terminated.map((id) => `- builder ${code(id)} terminated`),
    ...cleanup.deregistered.map((id) => `- image ${code(id)} deregistered`),
    ...cleanup.deletedSnapshots.map((id) => `- snapshot ${code(id)} deleted`),
    ...cleanup.deletedKeyPairs.map((name) => `- Packer's key pair ${code(name)} deleted`),
    ...cleanup.deletedSecurityGroups.map((group) => `- Packer's security group ${code(group)} deleted`),
  ];
  const left = cleanup.leftovers.map((l) => `- ${l}`);
  return `${blocks(
    heading(`❌ bake-ami: ${cancelled ? 'cancelled' : 'failed'} after ${seconds(r.totalMs)}`),
    failure && `**${cancelled ? 'Cancelled' : 'Failed'}:** ${failure}`,
    heading('Phases', 4),
    timings,
    heading('Cleaned up', 4),
    removed.length ? removed.join('\n') : 'Nothing had been created.',
    left.length
      ? blocks(heading('Not cleaned up yet (the post step retries)', 4), left.join('\n'))
      : undefined,
  )}\n`;
}
