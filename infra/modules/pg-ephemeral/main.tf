###############################################################################
# pg-ephemeral: Lambda function, alias, network, bot secret, KMS key, sweeper.
# IAM policies live in iam.tf.
###############################################################################

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name

  # Fixed by the Java code (io.pgephemeral.function.BrokerFunction).
  handler = "io.pgephemeral.function.BrokerFunction::handleRequest"

  # Every issued secret is named <prefix><email>/<target>; this pattern is the
  # only place where the broker may write and the requesters may read.
  # Secrets Manager appends "-XXXXXX" to ARNs, which the trailing * covers.
  issued_secret_arn_pattern = "arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:${var.secret_prefix}*"

  # kms:ViaService value: calls that Secrets Manager makes to KMS on a caller's behalf.
  secretsmanager_service = "secretsmanager.${local.region}.${data.aws_partition.current.dns_suffix}"

  bot_secret_name = coalesce(var.bot_secret_name, "${var.name}-bot/db-password")
  bot_secret_arn  = var.create_bot_secret ? aws_secretsmanager_secret.bot[0].arn : var.bot_secret_arn

  # "analytics=analytics_ro|orders_ro,readonly=readonly" (map keys come sorted).
  broker_targets = join(",", [for target, roles in var.targets : "${target}=${join("|", roles)}"])

  max_ttl_seconds = tonumber(substr(var.max_ttl, 0, length(var.max_ttl) - 1)) * lookup({ s = 1, m = 60, h = 3600 }, substr(var.max_ttl, length(var.max_ttl) - 1, 1))

  # The environment the broker reads. Names and meanings are fixed by the Java
  # code; optional ones are left out rather than set to "".
  managed_environment = merge(
    {
      BROKER_DB_URL            = var.db_url
      BROKER_DB_USER           = var.db_user
      BROKER_DB_SECRET_ID      = local.bot_secret_arn
      BROKER_TARGETS           = local.broker_targets
      BROKER_MAX_TTL           = var.max_ttl
      BROKER_DURATION_UNIT     = var.duration_unit
      BROKER_SECRET_PREFIX     = var.secret_prefix
      BROKER_SECRET_STORE      = "aws"
      BROKER_SECRET_KMS_KEY_ID = aws_kms_key.issued_secrets.arn
    },
    var.ledger_url == null ? {} : { BROKER_LEDGER_URL = var.ledger_url },
    var.connect_host == null ? {} : { BROKER_CONNECT_HOST = var.connect_host },
    length(var.creator_roles) == 0 ? {} : { BROKER_CREATOR_ROLES = join(",", var.creator_roles) },
    var.db_ca_bundle == null ? {} : { BROKER_DB_CA_BUNDLE = var.db_ca_bundle },
    # The broker refuses an unverified connection on its own; the module's opt-out is its opt-out.
    var.allow_database_without_verified_tls ? { BROKER_DB_TLS = "insecure-allow-unverified" } : {},
    var.java_tool_options == "" ? {} : { JAVA_TOOL_OPTIONS = var.java_tool_options },
  )
  environment = merge(var.extra_environment, local.managed_environment)

  # sslmode=verify-full exactly once (pgjdbc lets a later parameter win), and
  # no factory or host name verifier that would switch the verification off.
  database_urls = compact([var.db_url, var.ledger_url])
  database_urls_verify_tls = alltrue([
    for url in local.database_urls :
    length(regexall("(?i)[?&]sslmode=", url)) == 1 &&
    can(regex("[?&]sslmode=verify-full(&|$)", url)) &&
    !can(regex("(?i)[?&](sslfactory|sslhostnameverifier)=", url))
  ])

  function_security_group_ids = concat([aws_security_group.broker.id], var.additional_security_group_ids)

  # Exactly what the broker accepts as a scheduled sweep.
  sweep_event = {
    source        = "aws.events"
    "detail-type" = "Scheduled Event"
    detail        = {}
  }
}

###############################################################################
# Function, published version and alias
###############################################################################

resource "aws_cloudwatch_log_group" "broker" {
  # Created here (not by Lambda on first start) so retention and deletion are
  # managed, and the function needs no logs:CreateLogGroup permission.
  name              = "/aws/lambda/${var.name}"
  retention_in_days = var.log_retention_in_days
  kms_key_id        = var.log_kms_key_arn
  tags              = var.tags
}

resource "aws_lambda_function" "broker" {
  function_name = var.name
  description   = trimspace("pg-ephemeral: short-lived PostgreSQL credentials for approved Sym requests ${var.redeploy_marker}")
  role          = aws_iam_role.broker.arn
  runtime       = var.runtime
  handler       = local.handler
  architectures = [var.architecture]
  memory_size   = var.memory_size
  timeout       = var.timeout

  reserved_concurrent_executions = var.reserved_concurrent_executions

  # Encrypts the environment and the SnapStart snapshots with the module's
  # function key instead of an AWS managed key. A snapshot is taken after
  # the broker's priming, so it can hold the bot's password in memory; with
  # this key its use shows in CloudTrail, and disabling the key makes every
  # snapshot unusable.
  kms_key_arn = aws_kms_key.function.arn

  filename          = var.package_file
  source_code_hash  = var.package_file == null ? null : filebase64sha256(var.package_file)
  s3_bucket         = var.package_s3_bucket
  s3_key            = var.package_s3_key
  s3_object_version = var.package_s3_object_version
  layers            = var.layers

  # SnapStart only applies to published versions, so every code or
  # configuration change publishes one and the alias below follows it.
  publish = true

  snap_start {
    apply_on = "PublishedVersions"
  }

  vpc_config {
    subnet_ids         = var.subnet_ids
    security_group_ids = local.function_security_group_ids
  }

  environment {
    variables = local.environment
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.broker.name
  }

  tags = var.tags

  # The role's permissions must exist before Lambda creates the ENIs, and must
  # outlive the function on destroy so Lambda can delete them again.
  depends_on = [aws_iam_role_policy.broker]

  lifecycle {
    precondition {
      condition     = (var.package_file != null) != (var.package_s3_bucket != null && var.package_s3_key != null)
      error_message = "Set either package_file, or package_s3_bucket and package_s3_key (not both)."
    }

    precondition {
      # The bot's password and every CREATE ROLE travel on this connection:
      # without verify-full anyone on the path can pose as the database.
      condition     = local.database_urls_verify_tls || var.allow_database_without_verified_tls
      error_message = "db_url and ledger_url must carry sslmode=verify-full (once, with no sslfactory or sslhostnameverifier), e.g. jdbc:postgresql://db.internal:5432/app?sslmode=verify-full. Set allow_database_without_verified_tls = true only for a database that cannot present a certificate for its host name."
    }

    precondition {
      condition     = length(setintersection(keys(var.extra_environment), keys(local.managed_environment))) == 0
      error_message = "extra_environment must not repeat a variable this module sets: ${join(", ", setintersection(keys(var.extra_environment), keys(local.managed_environment)))}."
    }
  }
}

resource "aws_lambda_alias" "live" {
  name             = var.alias_name
  description      = "Invoked by Sym (escalate/deescalate) and by the sweep schedule"
  function_name    = aws_lambda_function.broker.function_name
  function_version = coalesce(var.pinned_version, aws_lambda_function.broker.version)
}

# Asynchronous invocations are the sweeps (Sym calls synchronously). A failed
# sweep is not retried by Lambda: the next one is a minute away, and it is
# recorded in the dead-letter queue instead of disappearing.
resource "aws_lambda_function_event_invoke_config" "live" {
  function_name                = aws_lambda_function.broker.function_name
  qualifier                    = aws_lambda_alias.live.name
  maximum_retry_attempts       = 0
  maximum_event_age_in_seconds = 60

  destination_config {
    on_failure {
      destination = aws_sqs_queue.sweep_dlq.arn
    }
  }

  # Lambda checks the execution role's sqs:SendMessage when this is created.
  depends_on = [aws_iam_role_policy.broker]
}

###############################################################################
# Network: the function may reach the database port and Secrets Manager only.
###############################################################################

resource "aws_security_group" "broker" {
  # name_prefix: a replacement can be created while Lambda's ENIs still hold
  # the old group, which can take a while to be released.
  name_prefix = "${var.name}-lambda-"
  description = "pg-ephemeral broker: egress to PostgreSQL and Secrets Manager only"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-lambda" })

  # No inline rules: Terraform then removes the default allow-all egress rule,
  # and the rules below are the only ones.
  lifecycle {
    create_before_destroy = true

    precondition {
      condition     = length(var.database_security_group_ids) + length(var.database_cidr_blocks) > 0
      error_message = "Set database_security_group_ids or database_cidr_blocks: the function must reach the database."
    }

    precondition {
      condition     = var.create_secretsmanager_endpoint || length(var.secretsmanager_endpoint_security_group_ids) + length(var.https_egress_cidr_blocks) > 0
      error_message = "The function must reach Secrets Manager: set create_secretsmanager_endpoint, secretsmanager_endpoint_security_group_ids or https_egress_cidr_blocks."
    }
  }
}

# Index-keyed so that IDs only known after apply (e.g. a database created in
# the same configuration) still work.
resource "aws_vpc_security_group_egress_rule" "database_sg" {
  for_each = { for i, id in var.database_security_group_ids : tostring(i) => id }

  security_group_id            = aws_security_group.broker.id
  description                  = "PostgreSQL (target and ledger database)"
  ip_protocol                  = "tcp"
  from_port                    = var.database_port
  to_port                      = var.database_port
  referenced_security_group_id = each.value
  tags                         = var.tags
}

resource "aws_vpc_security_group_egress_rule" "database_cidr" {
  for_each = { for i, cidr in var.database_cidr_blocks : tostring(i) => cidr }

  security_group_id = aws_security_group.broker.id
  description       = "PostgreSQL (target and ledger database)"
  ip_protocol       = "tcp"
  from_port         = var.database_port
  to_port           = var.database_port
  cidr_ipv4         = each.value
  tags              = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "database_from_broker" {
  for_each = var.manage_database_ingress ? { for i, id in var.database_security_group_ids : tostring(i) => id } : {}

  security_group_id            = each.value
  description                  = "pg-ephemeral broker Lambda"
  ip_protocol                  = "tcp"
  from_port                    = var.database_port
  to_port                      = var.database_port
  referenced_security_group_id = aws_security_group.broker.id
  tags                         = var.tags
}

resource "aws_vpc_security_group_egress_rule" "secretsmanager_endpoint" {
  for_each = { for i, id in var.secretsmanager_endpoint_security_group_ids : tostring(i) => id }

  security_group_id            = aws_security_group.broker.id
  description                  = "Secrets Manager interface endpoint"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = each.value
  tags                         = var.tags
}

resource "aws_vpc_security_group_egress_rule" "https_cidr" {
  for_each = { for i, cidr in var.https_egress_cidr_blocks : tostring(i) => cidr }

  security_group_id = aws_security_group.broker.id
  description       = "HTTPS to Secrets Manager (through NAT)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = each.value
  tags              = var.tags
}

# Optional Secrets Manager endpoint, reachable only from the function.
resource "aws_security_group" "secretsmanager_endpoint" {
  count = var.create_secretsmanager_endpoint ? 1 : 0

  name_prefix = "${var.name}-secretsmanager-"
  description = "Secrets Manager interface endpoint used by the pg-ephemeral broker"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-secretsmanager-endpoint" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "endpoint_from_broker" {
  count = var.create_secretsmanager_endpoint ? 1 : 0

  security_group_id            = aws_security_group.secretsmanager_endpoint[0].id
  description                  = "HTTPS from the pg-ephemeral broker"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.broker.id
  tags                         = var.tags
}

resource "aws_vpc_security_group_egress_rule" "broker_to_endpoint" {
  count = var.create_secretsmanager_endpoint ? 1 : 0

  security_group_id            = aws_security_group.broker.id
  description                  = "Secrets Manager interface endpoint"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.secretsmanager_endpoint[0].id
  tags                         = var.tags
}

# Availability zones of the subnets: an interface endpoint takes at most one
# subnet per zone, and fails to create otherwise.
data "aws_subnet" "function" {
  for_each = var.create_secretsmanager_endpoint ? toset(var.subnet_ids) : toset([])

  id = each.value
}

resource "aws_vpc_endpoint" "secretsmanager" {
  count = var.create_secretsmanager_endpoint ? 1 : 0

  vpc_id              = var.vpc_id
  service_name        = "${data.aws_partition.current.reverse_dns_prefix}.${local.region}.secretsmanager"
  vpc_endpoint_type   = "Interface"
  subnet_ids          = var.subnet_ids
  security_group_ids  = [aws_security_group.secretsmanager_endpoint[0].id]
  private_dns_enabled = true
  tags                = merge(var.tags, { Name = "${var.name}-secretsmanager" })

  lifecycle {
    precondition {
      condition     = length(distinct([for subnet in data.aws_subnet.function : subnet.availability_zone])) == length(var.subnet_ids)
      error_message = "create_secretsmanager_endpoint needs subnet_ids in distinct availability zones (an interface endpoint takes one subnet per zone); zones given: ${join(", ", [for id, subnet in data.aws_subnet.function : "${id}=${subnet.availability_zone}"])}."
    }
  }
}

###############################################################################
# The bot's database password
###############################################################################

# Only the container is created: no aws_secretsmanager_secret_version, so the
# password never appears in Terraform state or plans. The operator stores it
# once with `aws secretsmanager put-secret-value` (see infra/README.md).
resource "aws_secretsmanager_secret" "bot" {
  count = var.create_bot_secret ? 1 : 0

  name                    = local.bot_secret_name
  description             = "Password of the pg-ephemeral bot database user (${var.db_user}); value set outside Terraform"
  kms_key_id              = aws_kms_key.issued_secrets.arn
  recovery_window_in_days = var.bot_secret_recovery_window_in_days
  tags                    = var.tags

  lifecycle {
    precondition {
      # Inside the prefix the broker could overwrite or delete its own password.
      condition     = !startswith(local.bot_secret_name, var.secret_prefix)
      error_message = "bot_secret_name must not start with secret_prefix (${var.secret_prefix})."
    }
  }
}

###############################################################################
# Customer-managed KMS key for issued secrets (and the bot secret)
###############################################################################

resource "aws_kms_key" "issued_secrets" {
  description             = "pg-ephemeral: encrypts issued database credentials in Secrets Manager"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_in_days
  policy                  = local.kms_key_policy
  tags                    = var.tags

  lifecycle {
    precondition {
      # Without the fence any role whose session carries a chosen email tag
      # (sts:TagSession on a role that allows it) decrypts that person's secret.
      condition     = length(var.requester_principal_arn_patterns) > 0 || var.allow_unfenced_requesters
      error_message = "Set requester_principal_arn_patterns to the requester permission set's roles (e.g. arn:aws:iam::<account>:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_PgEphemeralRequester_????????????????), or allow_unfenced_requesters = true to accept any tagged principal."
    }
  }
}

resource "aws_kms_alias" "issued_secrets" {
  name          = "alias/${var.name}-secrets"
  target_key_id = aws_kms_key.issued_secrets.key_id
}

# Key of the function itself: environment variables and SnapStart snapshots.
# Lambda uses it through a grant that it creates with the deploying
# principal's kms:CreateGrant/kms:Encrypt (see local.function_key_policy).
resource "aws_kms_key" "function" {
  description             = "pg-ephemeral: encrypts the broker function's environment and SnapStart snapshots"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_in_days
  policy                  = local.function_key_policy
  tags                    = var.tags
}

resource "aws_kms_alias" "function" {
  name          = "alias/${var.name}-function"
  target_key_id = aws_kms_key.function.key_id
}

###############################################################################
# Sweeper: EventBridge Scheduler -> alias, with retries and a dead-letter queue
###############################################################################

resource "aws_sqs_queue" "sweep_dlq" {
  name                      = "${var.name}-sweep-dlq"
  message_retention_seconds = var.dlq_message_retention_seconds
  sqs_managed_sse_enabled   = true
  tags                      = var.tags
}

# A group of its own, so the scheduler role's trust policy can name it
# (aws:SourceArn) and no other schedule can borrow the role.
resource "aws_scheduler_schedule_group" "broker" {
  name = var.name
  tags = var.tags
}

resource "aws_scheduler_schedule" "sweep" {
  name                = "${var.name}-sweep"
  group_name          = aws_scheduler_schedule_group.broker.name
  description         = "Drops pg-ephemeral credentials that have outlived their expiry"
  schedule_expression = var.sweep_schedule_expression
  state               = var.sweep_enabled ? "ENABLED" : "DISABLED"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_lambda_alias.live.arn
    role_arn = aws_iam_role.scheduler.arn
    input    = jsonencode(local.sweep_event)

    retry_policy {
      maximum_retry_attempts       = var.sweep_retry_attempts
      maximum_event_age_in_seconds = var.sweep_max_event_age_seconds
    }

    dead_letter_config {
      arn = aws_sqs_queue.sweep_dlq.arn
    }
  }
}

###############################################################################
# Optional alarms
###############################################################################

resource "aws_cloudwatch_metric_alarm" "sweep_dlq" {
  count = length(var.alarm_actions) > 0 ? 1 : 0

  alarm_name          = "${var.name}-sweep-dlq"
  alarm_description   = "A pg-ephemeral sweep failed; expired credentials may still exist. Read the message in ${aws_sqs_queue.sweep_dlq.name}."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.sweep_dlq.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "errors" {
  count = length(var.alarm_actions) > 0 ? 1 : 0

  alarm_name          = "${var.name}-errors"
  alarm_description   = "The pg-ephemeral broker reported errors; see log group ${aws_cloudwatch_log_group.broker.name}."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = aws_lambda_function.broker.function_name, Resource = "${aws_lambda_function.broker.function_name}:${aws_lambda_alias.live.name}" }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = var.tags
}
