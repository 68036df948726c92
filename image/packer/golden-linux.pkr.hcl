# The shipped Linux image as an HCL2 template for engine: packer. bake-ami runs `packer init`
# first (required_plugins below) and passes source_ami, ami_name, region, bake_id, bake_name,
# expires_at and bake_tags.
packer {
  required_plugins {
    amazon = {
      version = ">= 1.2.8"
      source  = "github.com/hashicorp/amazon"
    }
  }
}

variable "source_ami" {
  type = string
}
variable "ami_name" {
  type = string
}
variable "region" {
  type = string
}
variable "bake_id" {
  type = string
}
variable "bake_name" {
  type = string
}
variable "expires_at" {
  type = string
}
variable "bake_tags" {
  type    = map(string)
  default = {}
}
variable "instance_type" {
  type    = string
  default = "t3.small"
}
variable "custom_endpoint_ec2" {
  type    = string
  default = ""
}

source "amazon-ebs" "golden" {
  region                 = var.region
  source_ami             = var.source_ami
  instance_type          = var.instance_type
  ami_name               = var.ami_name
  custom_endpoint_ec2    = var.custom_endpoint_ec2
  skip_region_validation = true
  # Provisioned by its user data, which powers the builder off: Packer waits for that stop
  # instead of stopping an unprovisioned machine itself.
  communicator          = "none"
  disable_stop_instance = true
  user_data_file        = "image/linux/user-data.sh"
  # golden-ami:bake-id lets the post step and the janitor prove what Packer made is this bake's;
  # golden-ami:builder = the bake's name is what the shipped Packer policy asks for on everything
  # Packer creates (the plugin puts run_tags on its key pair, group, AMI and snapshots too).
  # The bake's `tags` (bake_tags) go on the builder and its volumes too.
  run_tags = merge(var.bake_tags, {
    "Name"               = "${var.ami_name} builder"
    "golden-ami:bake-id" = var.bake_id
    "golden-ami:builder" = var.bake_name
    "golden-ami:expires-at" = var.expires_at
  })
  run_volume_tags = merge(var.bake_tags, {
    "golden-ami:bake-id" = var.bake_id
    "golden-ami:builder" = var.bake_name
    "golden-ami:expires-at" = var.expires_at
  })
  tags = {
    "Builder"            = "packer"
    "golden-ami:bake-id" = var.bake_id
  }
  snapshot_tags = {
    "golden-ami:bake-id" = var.bake_id
  }
}

build {
  sources = ["source.amazon-ebs.golden"]
}
