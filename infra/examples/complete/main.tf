###############################################################################
# Complete example, AWS side. This root is validated offline by
# infra/check.sh. The Sym side is the separate root in infra/sym: it needs
# the Sym provider and Sym credentials, so it has its own state and is
# applied second, fed by this root's `sym_inputs` output (see README.md).
###############################################################################

module "pg_ephemeral" {
  source = "../../modules/pg-ephemeral"

  name         = "pg-ephemeral"
  package_file = var.jar_path
  runtime      = "java17"
  memory_size  = 1024
  timeout      = 60

  # A small cap: each invocation runs DDL on the database.
  reserved_concurrent_executions = 5

  # What the broker connects to and what it may hand out.
  db_url  = var.db_url
  db_user = "ephemeral_bot"
  targets = {
    readonly  = ["readonly"]
    analytics = ["analytics_ro", "orders_ro"]
  }
  max_ttl       = "12h"
  duration_unit = "seconds"
  secret_prefix = "pg-ephemeral/"

  # PostgreSQL 16+: the creator roles bot-setup-pg16.sql makes (remove before 16).
  creator_roles = [for i in range(64) : format("ephemeral_creator_%02d", i)]

  # Network: PostgreSQL on 5432 (the module also opens the database's
  # ingress for the function), Secrets Manager through a new endpoint.
  vpc_id                         = var.vpc_id
  subnet_ids                     = var.private_subnet_ids
  database_security_group_ids    = [var.database_security_group_id]
  manage_database_ingress        = true
  create_secretsmanager_endpoint = true

  # Requesters sign in through IAM Identity Center with an "email"
  # attribute for access control (see README.md). Only sessions of the
  # PgEphemeralRequester permission set below may decrypt issued secrets
  # (not every Identity Center role: admin permission sets are roles there
  # too). The 16 "?" are the permission set role's random suffix; the second
  # pattern covers instances whose role path carries a region.
  requester_principal_tag = "email"
  requester_principal_arn_patterns = [
    "arn:aws:iam::${data.aws_caller_identity.current.account_id}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_PgEphemeralRequester_????????????????",
    "arn:aws:iam::${data.aws_caller_identity.current.account_id}:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_PgEphemeralRequester_????????????????",
  ]

  # The role CI (or you) runs Terraform with: the only principal outside the
  # invocation fence (output invocation_fence_policy_json).
  deploy_role_arn = var.deploy_role_arn

  sweep_schedule_expression = "rate(1 minute)"
  alarm_actions             = var.alarm_topic_arn == null ? [] : [var.alarm_topic_arn]

  sym_runtime_role_arn = var.sym_runtime_role_arn
  sym_external_id      = var.sym_external_id

  tags = {
    Owner = "platform-team"
  }
}

data "aws_caller_identity" "current" {}

###############################################################################
# Optional: an Identity Center permission set for requesters. Assign it to
# the people (or group) who may request database access, in the broker's
# account. The ABAC attribute "email" must be enabled on the instance.
###############################################################################

resource "aws_ssoadmin_permission_set" "requester" {
  count = var.sso_instance_arn == null ? 0 : 1

  name             = "PgEphemeralRequester"
  description      = "Read own pg-ephemeral database credentials"
  instance_arn     = var.sso_instance_arn
  session_duration = "PT1H"
}

resource "aws_ssoadmin_permission_set_inline_policy" "requester" {
  count = var.sso_instance_arn == null ? 0 : 1

  instance_arn       = var.sso_instance_arn
  permission_set_arn = aws_ssoadmin_permission_set.requester[0].arn
  inline_policy      = module.pg_ephemeral.requester_policy_json
}
