terraform {
  required_version = ">= 1.7.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.60, < 7.0"
    }
  }

  # Keep state remote and locked for real use, e.g.:
  # backend "s3" {
  #   bucket         = "acme-terraform-state"
  #   key            = "pg-ephemeral/aws.tfstate"
  #   region         = "eu-west-1"
  #   dynamodb_table = "terraform-locks"
  # }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project   = "pg-ephemeral"
      ManagedBy = "terraform"
    }
  }
}
