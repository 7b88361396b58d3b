terraform {
  # 1.7 is the first release whose `terraform test` has mock providers, which
  # the tests in tests/ rely on; the module itself needs nothing newer than 1.5.
  required_version = ">= 1.7.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.60 has everything used here (SnapStart, logging_config, Scheduler,
      # aws_vpc_security_group_*_rule). 6.x is allowed: the only 5.x-isms are
      # data.aws_region.name, which 6.x keeps as a deprecated alias.
      version = ">= 5.60, < 7.0"
    }
  }
}
