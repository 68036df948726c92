import type { AuthRequest, RequestContext } from '../iam.js';
import { arr, tagContext, templateOf, type IamMapping, type Params } from '../iam-context.js';
import { runInstancesAuth } from '../iam-launch.js';
import { asgRegionOf } from './autoscaling-platform.js';

/**
 * autoscaling:MinSize, MaxSize and VPCZoneIdentifiers: "the minimum/maximum scaling size" and "the
 * identifier of a VPC zone" in the request (Service Authorization Reference, Amazon EC2 Auto Scaling),
 * present only when the request sets them.
 */
function sizeAndPlace(p: Params): RequestContext {
  const c: RequestContext = {};
  if (p.MinSize !== undefined) c['autoscaling:MinSize'] = String(p.MinSize);
  if (p.MaxSize !== undefined) c['autoscaling:MaxSize'] = String(p.MaxSize);
  if (typeof p.VPCZoneIdentifier === 'string')
    c['autoscaling:VPCZoneIdentifiers'] = p.VPCZoneIdentifier.split(',').map((s) => s.trim());
  return c;
}

/**
 * Every Auto Scaling operation but Describe* authorizes on the groups it names (tags: each tag's
 * ResourceId), with their tags and the size and place requested.
 */
export const onGroups: IamMapping = ({ operation, action, params: p, region: r, arns: a }) => {
  const asg = asgRegionOf(r);
  const names =
    operation === 'CreateOrUpdateTags' || operation === 'DeleteTags'
      ? arr<{ ResourceId?: string }>(p.Tags).map((t) => t.ResourceId ?? '')
      : [String(p.AutoScalingGroupName ?? '')];
  const checks: AuthRequest[] = [...new Set(names)].map((name) => {
    const g = asg.groups.get(name);
    const resource =
      g?.arn ??
      `arn:aws:autoscaling:${r.name}:${r.world.accountId}:autoScalingGroup:*:autoScalingGroupName/${name}`;
    return {
      action,
      resource,
      context: {
        ...tagContext(
          ['aws:ResourceTag', 'autoscaling:ResourceTag'],
          g?.tags.map((t) => ({ Key: t.Key, Value: t.Value })),
        ),
        ...sizeAndPlace(p),
      },
    };
  });
  // Using a launch template, Auto Scaling checks that the caller may launch it (and pass its role).
  const desired = (
    p.DesiredConfiguration as {
      LaunchTemplate?: { LaunchTemplateId?: string; LaunchTemplateName?: string; Version?: string };
    }
  )?.LaunchTemplate;
  const given = desired ?? (p.LaunchTemplate as typeof desired);
  const template = templateOf(r, given);
  if (
    template &&
    ['StartInstanceRefresh', 'UpdateAutoScalingGroup', 'CreateAutoScalingGroup'].includes(operation)
  ) {
    // "ec2:RunInstances [is] checked when an Auto Scaling group is created or updated using a launch
    // template" (Control Amazon EC2 launch template usage in Auto Scaling groups): the launch the
    // template's version describes, authorized as RunInstances with that template would be. An
    // unnumbered version is $Latest unless it says $Default.
    const version = given?.Version === '$Default' ? '$Default' : (given?.Version ?? '$Latest');
    checks.push(
      ...runInstancesAuth(
        { LaunchTemplate: { LaunchTemplateId: template.launchTemplateId, Version: version } },
        r,
        a,
      ),
    );
  }
  return checks;
};
