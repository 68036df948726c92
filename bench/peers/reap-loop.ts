// The peer for reap-octopus-orphans: the loop cleanup scripts commonly run. List the environment's
// targets, ask EC2 about each one by instance id, then delete every target whose instance is gone.
// One DescribeInstances per target and one DELETE per orphan, one at a time. It is the generous
// form of the script: the SDK in one process (a bash loop over `aws ec2 describe-instances` pays a
// CLI start per target on top).
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';

const octopusUrl = process.env.OCTOPUS_URL!;
const headers = { 'X-Octopus-ApiKey': process.env.OCTOPUS_API_KEY! };
const environment = process.env.PEER_ENVIRONMENT ?? 'Production';
const space = 'Spaces-1';
// Checks only the first N targets when set: the bench times a sample of a 10k estate and scales it.
const sample = Number(process.env.PEER_SAMPLE ?? Infinity);

interface Page<T> {
  Items: T[];
  TotalResults: number;
}
interface Machine {
  Id: string;
  Name: string;
}

async function get<T>(path: string): Promise<T> {
  const res = await fetch(`${octopusUrl}/api/${space}/${path}`, { headers });
  if (!res.ok) throw new Error(`GET ${path}: ${res.status}`);
  return (await res.json()) as T;
}

const env = await get<Page<{ Id: string }>>(`environments?name=${encodeURIComponent(environment)}`);
const envId = env.Items[0]!.Id;
const machines: Machine[] = [];
// Bounded: at most 100k targets.
for (let skip = 0; skip < 100_000; skip += 100) {
  const page = await get<Page<Machine>>(`machines?environmentIds=${envId}&skip=${skip}&take=100`);
  machines.push(...page.Items);
  if (skip + 100 >= page.TotalResults) break;
}

const listed = performance.now();
const ec2 = new EC2Client({});
const orphans: Machine[] = [];
const checked = machines.slice(0, sample);
for (const m of checked) {
  const id = /i-[0-9a-f]{8,17}/.exec(m.Name)?.[0];
  if (!id) continue;
  try {
    const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
    const state = out.Reservations?.[0]?.Instances?.[0]?.State?.Name;
    if (state === 'terminated' || state === 'shutting-down') orphans.push(m);
  } catch (err) {
    if ((err as { name?: string }).name === 'InvalidInstanceID.NotFound') orphans.push(m);
    else throw err;
  }
}

const checkMs = performance.now() - listed;
const deleting = performance.now();
let deleted = 0;
for (const m of orphans) {
  const res = await fetch(`${octopusUrl}/api/${space}/machines/${m.Id}`, { method: 'DELETE', headers });
  if (!res.ok) throw new Error(`DELETE ${m.Id}: ${res.status}`);
  deleted++;
}
const deleteMs = performance.now() - deleting;
console.log(
  JSON.stringify({
    scanned: machines.length,
    checked: checked.length,
    deleted,
    checkMs,
    deleteMs,
    names: orphans.map((m) => m.Name),
    checkedNames: checked.map((m) => m.Name),
  }),
);
