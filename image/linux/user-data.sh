#!/bin/bash
# cloud-init user data for bake-ami (engine: native): provision at first boot, then power off.
# bake-ami waits for the builder to reach `stopped` and images it; anything printing the
# failure marker (default BAKE-FAILED) to the console fails the bake at once.
set -euo pipefail
trap 'echo "BAKE-FAILED: line $LINENO exited with $?" > /dev/console; shutdown -h now' ERR
exec > >(tee /var/log/bake.log /dev/console) 2>&1

echo "bake: installing the base packages"
dnf -y update
dnf -y install amazon-cloudwatch-agent nginx jq

echo "bake: enabling services"
systemctl enable nginx amazon-ssm-agent

echo "bake: cleaning up for imaging"
dnf clean all
rm -rf /var/lib/cloud/instances/* /var/log/bake.log
# The next boot (from the AMI) must run cloud-init again for its own user data.
cloud-init clean --logs

echo "bake: done"
shutdown -h now
