// The peer for retire-amis: the cleanup script commonly written. List the AMIs, then ask about each
// one by itself — DescribeInstances filtered on its image id (live instances) and its launch
// permissions — one call at a time. It sees instances only (not templates, groups or parameters);
// it is the generous form (the SDK in one process, no CLI start per call).
import {
  DescribeImageAttributeCommand,
  DescribeInstancesCommand,
  EC2Client,
  paginateDescribeImages,
} from '@aws-sdk/client-ec2';

const regions = (process.env.PEER_REGIONS ?? 'us-east-1').split(',');
const name = process.env.PEER_NAME ?? 'web';
const LIVE = ['pending', 'running', 'shutting-down', 'stopping', 'stopped'];

const unused: string[] = [];
let scanned = 0;
const started = performance.now();
for (const region of regions) {
  const ec2 = new EC2Client({ region });
  const ids: string[] = [];
  for await (const page of paginateDescribeImages(
    { client: ec2 },
    { Owners: ['self'], Filters: [{ Name: 'tag:golden-ami:name', Values: [name] }] },
  ))
    ids.push(...(page.Images ?? []).map((i) => i.ImageId!));
  scanned += ids.length;
  for (const id of ids) {
    const used = await ec2.send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: 'image-id', Values: [id] },
          { Name: 'instance-state-name', Values: LIVE },
        ],
      }),
    );
    if (used.Reservations?.some((r) => r.Instances?.length)) continue;
    const perms = await ec2.send(
      new DescribeImageAttributeCommand({ ImageId: id, Attribute: 'launchPermission' }),
    );
    if (perms.LaunchPermissions?.length) continue;
    unused.push(id);
  }
  ec2.destroy();
}
console.log(JSON.stringify({ scanned, unused, checkMs: performance.now() - started }));
