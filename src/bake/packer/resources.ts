// What Packer makes for a bake, read from its output as it appears: saved for the post step, and its image claimed at once.
import {
  CreateTagsCommand,
  DescribeKeyPairsCommand,
  DescribeSecurityGroupsCommand,
  DescribeSnapshotsCommand,
} from '@aws-sdk/client-ec2';
import { toTagList } from '../../aws/tags.js';
import { describeError } from '../../core/errors.js';
import type { ActionContext } from '../../core/context.js';
import type { MachineLine } from './output.js';
import type { CreatedImage, PackerResources } from '../state.js';
import { TAG } from '../tags.js';

export type { PackerResources };

export const noPackerResources = (): PackerResources => ({ keyPairs: [], securityGroups: [], instances: [] });

/** Packer's temporary names are `packer_<uuid>`: nothing else is ever taken for one. */
export const TEMPORARY = /^packer_[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/;

/**
 * The resource a line of Packer's amazon-ebs builder announces (1.6 to 1.11 wording). Each kind
 * is taken from its first line only: Packer prints them before any provisioner runs, so a build's
 * output cannot substitute another name.
 */
export function announcedResource(
  m: MachineLine,
): { kind: 'keyPair' | 'securityGroup' | 'instance' | 'image'; id: string; from?: string } | undefined {
  if (m.type !== 'ui') return undefined;
  const text = m.data.slice(1).join(',');
  let match = /Creating temporary keypair: (\S+?)(?:\s|\.\.\.|$)/.exec(text);
  if (match && TEMPORARY.test(match[1]!)) return { kind: 'keyPair', id: match[1]! };
  match = /Creating temporary security group for this instance: (\S+)/.exec(text);
  if (match && TEMPORARY.test(match[1]!)) return { kind: 'securityGroup', id: match[1]! };
  match = /Instance ID: (i-[0-9a-f]+)\s*$/.exec(text);
  if (match) return { kind: 'instance', id: match[1]! };
  match = /\bAMI: (ami-[0-9a-f]+)\s*$/.exec(text);
  if (match) return { kind: 'image', id: match[1]! };
  return undefined;
}

/**
 * Follows Packer's output: saves each temporary resource the moment Packer announces it, and
 * claims the AMI as soon as CreateImage returned (Packer tags it only once it is available, so
 * a bake cancelled while it is pending would leave it untagged, where no one finds it).
 */
export class PackerTracker {
  readonly resources = noPackerResources();
  private readonly pending: Promise<void>[] = [];
  private readonly seen = new Set<string>();

  constructor(
    private readonly ctx: ActionContext,
    private readonly o: {
      region: string;
      bakeId: string;
      expiresAt: number;
      save: (r: PackerResources) => void;
      onImage: (image: CreatedImage) => void;
    },
  ) {}

  started(pid: number): void {
    this.resources.pid = pid;
    this.o.save(this.resources);
  }

  ended(): void {
    delete this.resources.pid;
    this.o.save(this.resources);
  }

  line(m: MachineLine): void {
    const r = announcedResource(m);
    if (!r) return;
    // The first of each kind only (see announcedResource); images: every one after the builder.
    if (r.kind !== 'image' && this.seen.has(r.kind)) return;
    this.seen.add(r.kind);
    if (r.kind === 'keyPair') this.resources.keyPairs.push(r.id);
    if (r.kind === 'securityGroup') this.resources.securityGroups.push(r.id);
    if (r.kind === 'instance') this.resources.instances.push(r.id);
    if (r.kind === 'image') this.pending.push(this.claim(r.id));
    else this.o.save(this.resources);
    // Packer launches after making its key pair and group: they exist now.
    if (r.kind === 'instance') this.pending.push(this.claimTemporaries());
  }

  /** Waits for the claims in flight (never throws). */
  async settled(): Promise<void> {
    await Promise.all(this.pending);
  }

  private tags() {
    return toTagList({
      [TAG.bakeId]: this.o.bakeId,
      [TAG.expiresAt]: new Date(this.o.expiresAt).toISOString(),
    });
  }

  /**
   * Tags Packer's key pair and security group with the bake id and expiry, so a later bake's
   * janitor finds them when this job is killed before its post step (never throws).
   */
  private async claimTemporaries(): Promise<void> {
    const ec2 = this.ctx.clients.ec2(this.o.region);
    const { keyPairs, securityGroups } = this.resources;
    try {
      const ids: string[] = [];
      if (keyPairs.length) {
        const out = await ec2.send(
          new DescribeKeyPairsCommand({ Filters: [{ Name: 'key-name', Values: keyPairs }] }),
        );
        ids.push(...(out.KeyPairs ?? []).flatMap((k) => (k.KeyPairId ? [k.KeyPairId] : [])));
      }
      if (securityGroups.length) {
        const out = await ec2.send(
          new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: securityGroups }] }),
        );
        ids.push(...(out.SecurityGroups ?? []).flatMap((g) => (g.GroupId ? [g.GroupId] : [])));
      }
      if (ids.length) await ec2.send(new CreateTagsCommand({ Resources: ids, Tags: this.tags() }));
    } catch (err) {
      this.ctx.log.warning(
        `Could not tag Packer's key pair and security group for the janitor (the post step still removes them): ${describeError(err)}`,
      );
    }
  }

  /**
   * Tags the image (and its snapshots) with the bake id and expiry, once it is proven Packer's
   * image of this bake's builder: a snapshot CreateImage wrote "Created by CreateImage(<builder>)
   * for <image>" on. No abort signal: a cancelled bake needs this most.
   */
  private async claim(imageId: string): Promise<void> {
    const builder = this.resources.instances[0];
    if (!builder) return;
    const ec2 = this.ctx.clients.ec2(this.o.region);
    try {
      const out = await ec2.send(
        new DescribeSnapshotsCommand({
          OwnerIds: ['self'],
          Filters: [{ Name: 'description', Values: [`*CreateImage(${builder})*${imageId}*`] }],
        }),
      );
      const snapshots = (out.Snapshots ?? []).flatMap((s) => (s.SnapshotId ? [s.SnapshotId] : []));
      if (!snapshots.length) {
        this.ctx.log.info(
          `Packer's image ${imageId} is not yet seen from builder ${builder}; it is claimed once available.`,
        );
        return;
      }
      await ec2.send(new CreateTagsCommand({ Resources: [imageId, ...snapshots], Tags: this.tags() }));
      this.o.onImage({ region: this.o.region, imageId });
      this.ctx.log.info(
        `Claimed Packer's pending image ${imageId} and ${snapshots.join(', ')} for this bake.`,
      );
    } catch (err) {
      this.ctx.log.warning(`Could not claim Packer's pending image ${imageId}: ${describeError(err)}`);
    }
  }
}
