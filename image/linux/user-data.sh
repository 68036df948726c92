#!/bin/bash
# cloud-init user data for bake-ami (engine: native): provision at first boot, then power off.
# Everything below goes to the console. bake-ami images the builder only when the console read
# after the stop shows BAKE-SUCCEEDED (printed last, just before the shutdown); BAKE-FAILED (the
# failure marker), or cloud-init's own failure report, fails the bake as soon as AWS shows it.
# On any error the trap prints the marker and shuts down, so the failure is posted at the stop.
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

echo "BAKE-SUCCEEDED"
shutdown -h now
