// A small EC2 stand-in for driving the Auto Scaling controller and refresh engine with a fake
// clock in tests: instances boot and terminate after fixed times, templates have versions whose
// ImageId may come from an SSM parameter, and images can be marked unhealthy.
import type {
  AsgPlatform,
  LaunchRequest,
  LaunchTemplateRef,
  LaunchedInstance,
  PlatformInstance,
  ResolvedLaunch,
} from './autoscaling-types.js';
import { AwsError } from './service.js';

interface FakeTemplate {
  id: string;
  name: string;
  defaultVersion: number;
  versions: { imageId: string; instanceType: string }[];
}

interface FakeInstance extends PlatformInstance {
  id: string;
  imageId: string;
  nextAt?: number;
}

export class FakePlatform implements AsgPlatform {
  time = 1_000_000;
  readonly templates = new Map<string, FakeTemplate>();
  readonly parameters = new Map<string, string>();
  readonly unhealthyImages = new Set<string>();
  /** Images EC2 no longer has (deregistered): launching from them fails. */
  readonly missingImages = new Set<string>();
  readonly instances = new Map<string, FakeInstance>();
  private seq = 0;

  constructor(
    readonly bootMs = 100,
    readonly terminateMs = 100,
  ) {}

  now(): number {
    return this.time;
  }

  availabilityZones(): string[] {
    return ['us-east-1a', 'us-east-1b'];
  }

  addTemplate(name: string, imageId: string, instanceType = 't3.micro'): string {
    const id = `lt-${String(this.templates.size + 1).padStart(17, '0')}`;
    this.templates.set(id, { id, name, defaultVersion: 1, versions: [{ imageId, instanceType }] });
    return id;
  }

  /** Adds a version (numbered from 1) and returns its number. */
  addVersion(templateId: string, imageId: string, instanceType = 't3.micro'): number {
    const t = this.templates.get(templateId);
    if (!t) throw new Error(`no template ${templateId}`);
    t.versions.push({ imageId, instanceType });
    return t.versions.length;
  }

  resolveLaunchTemplate(ref: LaunchTemplateRef): ResolvedLaunch {
    const t = [...this.templates.values()].find(
      (x) =>
        x.id === ref.LaunchTemplateId ||
        (ref.LaunchTemplateId === undefined && x.name === ref.LaunchTemplateName),
    );
    if (!t)
      throw new AwsError(
        'ValidationError',
        `The launch template ${ref.LaunchTemplateId ?? ref.LaunchTemplateName} does not exist.`,
      );
    const v = ref.Version ?? '$Default';
    const n = v === '$Latest' ? t.versions.length : v === '$Default' ? t.defaultVersion : Number(v);
    const version = t.versions[n - 1];
    if (!version) throw new AwsError('ValidationError', `The launch template version ${v} does not exist.`);
    const fromSsm = version.imageId.startsWith('resolve:ssm:');
    const imageId = fromSsm
      ? (this.parameters.get(version.imageId.slice('resolve:ssm:'.length)) ?? '')
      : version.imageId;
    return {
      templateId: t.id,
      templateName: t.name,
      version: n,
      imageId,
      imageFromSsm: fromSsm,
      instanceType: version.instanceType,
    };
  }

  launchInstance(req: LaunchRequest): LaunchedInstance {
    if (this.missingImages.has(req.launch.imageId)) {
      throw new AwsError('InvalidAMIID.NotFound', `The image id '[${req.launch.imageId}]' does not exist`);
    }
    this.seq += 1;
    const id = `i-${String(this.seq).padStart(17, '0')}`;
    this.instances.set(id, {
      id,
      imageId: req.launch.imageId,
      state: 'pending',
      imageUnhealthy: this.unhealthyImages.has(req.launch.imageId),
      nextAt: this.time + this.bootMs,
    });
    return { instanceId: id, availabilityZone: req.availabilityZone ?? 'us-east-1a' };
  }

  terminateInstance(instanceId: string): void {
    const inst = this.instances.get(instanceId);
    if (!inst || inst.state === 'terminated' || inst.state === 'shutting-down') return;
    inst.state = 'shutting-down';
    inst.nextAt = this.time + this.terminateMs;
  }

  instanceStatus(instanceId: string): PlatformInstance | undefined {
    return this.instances.get(instanceId);
  }

  /** Advances instance state machines to the current time. */
  settle(): void {
    for (const inst of this.instances.values()) {
      if (inst.nextAt === undefined || this.time < inst.nextAt) continue;
      delete inst.nextAt;
      if (inst.state === 'pending') {
        inst.state = 'running';
        inst.runningSince = this.time;
      } else if (inst.state === 'shutting-down') inst.state = 'terminated';
    }
  }
}
