#!/bin/bash
# Provision script for bake-ami (provision-scripts, platform linux): run over SSM Run Command.
# A non-zero exit fails the bake; bake-ami stops the builder afterwards.
set -euo pipefail
echo "bake: installing the base packages"
dnf -y install amazon-cloudwatch-agent nginx jq
systemctl enable nginx
echo "bake: base packages installed"
