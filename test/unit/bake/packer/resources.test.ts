// What bake-ami takes from Packer's output as the temporary resources of its bake.
import { parseMachineLine } from '../../../../src/bake/packer/output.js';
import { announcedResource } from '../../../../src/bake/packer/resources.js';

const ui = (kind: string, text: string) => parseMachineLine(`1700000000,,ui,${kind},${text}`)!;

describe('announcedResource', () => {
  it("reads Packer 1.6's announcements of its key pair, group, builder and AMI", () => {
    expect(
      [
        ui('say', '==> amazon-ebs: Creating temporary keypair: packer_5fd8a0c2-1c3e-4b7a-9d2e-0f1a2b3c4d5e'),
        ui(
          'say',
          '==> amazon-ebs: Creating temporary security group for this instance: packer_5fd8a0c3-0000-4b7a-9d2e-0f1a2b3c4d5e',
        ),
        ui('message', '    amazon-ebs: Instance ID: i-0abc123def4567890'),
        ui('message', '    amazon-ebs: AMI: ami-0123456789abcdef0'),
      ].map(announcedResource),
    ).toEqual([
      { kind: 'keyPair', id: 'packer_5fd8a0c2-1c3e-4b7a-9d2e-0f1a2b3c4d5e' },
      { kind: 'securityGroup', id: 'packer_5fd8a0c3-0000-4b7a-9d2e-0f1a2b3c4d5e' },
      { kind: 'instance', id: 'i-0abc123def4567890' },
      { kind: 'image', id: 'ami-0123456789abcdef0' },
    ]);
  });

  it("never takes another name for Packer's temporary one: a team's key pair or group is not Packer's", () => {
    expect(
      announcedResource(ui('say', '==> amazon-ebs: Creating temporary keypair: prod-admin')),
    ).toBeUndefined();
    expect(
      announcedResource(
        ui('say', '==> amazon-ebs: Creating temporary security group for this instance: default'),
      ),
    ).toBeUndefined();
    expect(
      announcedResource(parseMachineLine('1700000000,amazon-ebs,artifact,0,id,us-east-1:ami-1')!),
    ).toBeUndefined();
  });
});
