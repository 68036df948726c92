#!/usr/bin/env python3
"""Writes trimmed botocore service models for localcloud: only the operations listed below and the
shapes they reach, documentation stripped. Run it to refresh the base models (a botocore upgrade); the
JSON output is committed (formatted with prettier) so localcloud needs no botocore at run time. A new
operation goes in <service>-overlay.json instead (npm run localcloud:scaffold writes it there), which
loadModel merges at load time as this script does, so adding one needs no regeneration.

    python3 test/localcloud/aws/models/extract.py [/path/to/botocore/data [service ...]] && npx prettier --write test/localcloud/aws/models
    NEWER_BOTOCORE_DATA=$(python3 -c 'import botocore,os;print(os.path.dirname(botocore.__file__))')/data \
      python3 test/localcloud/aws/models/extract.py /usr/lib/python3/dist-packages/botocore/data sqs events
"""
import gzip
import json
import os
import sys

DATA = sys.argv[1] if len(sys.argv) > 1 else '/usr/lib/python3/dist-packages/botocore/data'
HERE = os.path.dirname(os.path.abspath(__file__))

# None = every operation of the service.
SERVICES = {
    'ec2': ('ec2', '2016-11-15', [
        'DescribeImages', 'RunInstances', 'DescribeInstances', 'DescribeInstanceStatus',
        'StopInstances', 'StartInstances', 'TerminateInstances', 'RebootInstances', 'GetConsoleOutput',
        'CreateImage', 'CopyImage', 'DeregisterImage', 'DescribeSnapshots', 'DeleteSnapshot',
        'ModifyImageAttribute', 'DescribeImageAttribute', 'CreateTags', 'DeleteTags', 'DescribeTags',
        'CreateLaunchTemplate', 'DescribeLaunchTemplates', 'CreateLaunchTemplateVersion',
        'DescribeLaunchTemplateVersions', 'ModifyLaunchTemplate', 'DeleteLaunchTemplate', 'DeleteLaunchTemplateVersions',
        'CreateKeyPair', 'ImportKeyPair', 'DeleteKeyPair', 'DescribeKeyPairs',
        'CreateSecurityGroup', 'DeleteSecurityGroup', 'DescribeSecurityGroups',
        'AuthorizeSecurityGroupIngress', 'DescribeVpcs', 'DescribeSubnets', 'DescribeRegions',
        'DescribeAvailabilityZones', 'DescribeVolumes', 'ModifyInstanceAttribute',
        'DescribeInstanceAttribute', 'DescribeAccountAttributes',
    ]),
    'ssm': ('ssm', '2014-11-06', [
        'PutParameter', 'GetParameter', 'GetParameters', 'DeleteParameter', 'DeleteParameters',
        'GetParameterHistory', 'GetParametersByPath', 'LabelParameterVersion', 'UnlabelParameterVersion',
        'DescribeParameters', 'AddTagsToResource', 'ListTagsForResource', 'SendCommand',
        'GetCommandInvocation', 'ListCommandInvocations', 'ListCommands', 'CancelCommand',
        'DescribeInstanceInformation',
    ]),
    'sts': ('sts', '2011-06-15', ['GetCallerIdentity']),
    'autoscaling': ('autoscaling', '2011-01-01', None),
    'elbv2': ('elbv2', '2015-12-01', None),
    # Debian's botocore speaks the Query protocol to SQS; @aws-sdk/client-sqs 3.x speaks AWS JSON 1.0
    # (awsQueryCompatible), so these two come from a newer botocore (NEWER_DATA, or the 4th tuple item).
    'sqs': ('sqs', '2012-11-05', [
        'CreateQueue', 'GetQueueUrl', 'GetQueueAttributes', 'SendMessage', 'ReceiveMessage',
        'DeleteMessage', 'DeleteMessageBatch', 'DeleteQueue',
    ], 'newer'),
    'events': ('events', '2015-10-07', ['PutRule', 'PutTargets', 'DeleteRule', 'RemoveTargets'], 'newer'),
}

# A botocore whose SQS model is AWS JSON 1.0 (1.31.x or later), e.g. `pip install botocore`.
NEWER_DATA = os.environ.get('NEWER_BOTOCORE_DATA', '')


def strip_docs(node):
    if isinstance(node, dict):
        return {k: strip_docs(v) for k, v in node.items() if k not in ('documentation', 'documentationUrl')}
    if isinstance(node, list):
        return [strip_docs(v) for v in node]
    return node


def reach(shapes, name, seen):
    if name in seen:
        return
    seen.add(name)
    shape = shapes[name]
    refs = []
    if shape['type'] == 'structure':
        refs = [m['shape'] for m in shape.get('members', {}).values()]
    elif shape['type'] == 'list':
        refs = [shape['member']['shape']]
    elif shape['type'] == 'map':
        refs = [shape['key']['shape'], shape['value']['shape']]
    for ref in refs:
        reach(shapes, ref, seen)


def merge_overlay(trimmed, path):
    """Adds what Debian's older botocore lacks (see <service>-overlay.json): new operations and
    shapes, extra structure members, extra enum values."""
    if not os.path.exists(path):
        return
    with open(path) as f:
        overlay = json.load(f)
    trimmed['operations'].update(overlay.get('operations', {}))
    shapes = trimmed['shapes']
    for name, shape in overlay.get('shapes', {}).items():
        base = shapes.get(name)
        if base is None:
            shapes[name] = shape
        elif base['type'] == 'structure':
            base.setdefault('members', {}).update(shape.get('members', {}))
        elif 'enum' in base:
            base['enum'] += [v for v in shape.get('enum', []) if v not in base['enum']]
    trimmed['shapes'] = dict(sorted(shapes.items()))


def main():
    only = [a for a in sys.argv[2:]]
    for out_name, (service, version, ops, *newer) in SERVICES.items():
        if only and out_name not in only:
            continue
        base = os.path.join(NEWER_DATA if newer else DATA, service, version, 'service-2.json')
        if os.path.exists(base):
            with open(base) as f:
                model = json.load(f)
        else:
            with gzip.open(base + '.gz', 'rt') as f:
                model = json.load(f)
        operations = model['operations']
        chosen = sorted(operations) if ops is None else ops
        missing = [op for op in chosen if op not in operations]
        if missing:
            raise SystemExit(f'{service}: unknown operations {missing}')
        seen = set()
        for op in chosen:
            o = operations[op]
            for key in ('input', 'output'):
                if key in o:
                    reach(model['shapes'], o[key]['shape'], seen)
            for err in o.get('errors', []):
                reach(model['shapes'], err['shape'], seen)
        trimmed = {
            'metadata': model['metadata'],
            'operations': {op: operations[op] for op in chosen},
            'shapes': {name: model['shapes'][name] for name in sorted(seen)},
        }
        merge_overlay(trimmed, os.path.join(HERE, out_name + '-overlay.json'))
        with open(os.path.join(HERE, out_name + '.json'), 'w') as f:
            json.dump(strip_docs(trimmed), f, separators=(',', ':'), sort_keys=True)
            f.write('\n')


if __name__ == '__main__':
    main()
