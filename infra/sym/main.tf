###############################################################################
# Sym side of pg-ephemeral: an approval flow whose aws_lambda strategy invokes
# the broker's alias on escalate/deescalate, one target per allow-listed
# database target.
#
# NOT validated offline: the Sym provider cannot be downloaded in the build
# environment, so infra/check.sh only runs `terraform fmt -check` here. Run
# `terraform init && terraform validate` where the registry is reachable.
###############################################################################

locals {
  create_environment = var.sym_environment_id == null
  environment_id     = local.create_environment ? sym_environment.this[0].id : var.sym_environment_id

  # "30m" -> 1800: Sym's duration values in seconds, to compare with the
  # broker's cap (a longer choice would be silently shortened by the broker
  # while Sym shows the longer expiry).
  duration_seconds = {
    for d in var.durations :
    d => tonumber(substr(d, 0, length(d) - 1)) * lookup({ m = 60, h = 3600, d = 86400 }, substr(d, length(d) - 1, 1))
  }

  target_names = sort(var.broker_target_names)
}

###############################################################################
# Environment (only when sym_environment_id is not given)
###############################################################################

resource "sym_integration" "runtime_context" {
  count = local.create_environment ? 1 : 0

  type        = "permission_context"
  name        = "${var.flow_name}-runtime-${var.environment_name}"
  label       = "pg-ephemeral runtime (${var.environment_name})"
  external_id = var.aws_account_id

  settings = {
    cloud       = "aws"
    region      = var.aws_region
    role_arn    = var.sym_runtime_role_arn
    external_id = var.sym_runtime_external_id
  }

  lifecycle {
    precondition {
      condition     = var.sym_runtime_role_arn != null && var.sym_runtime_external_id != null && var.slack_workspace_id != null
      error_message = "Creating an environment needs sym_runtime_role_arn, sym_runtime_external_id and slack_workspace_id (or pass sym_environment_id)."
    }
  }
}

resource "sym_runtime" "this" {
  count = local.create_environment ? 1 : 0

  name       = "${var.flow_name}-${var.environment_name}"
  label      = "pg-ephemeral (${var.environment_name})"
  context_id = sym_integration.runtime_context[0].id
}

resource "sym_integration" "slack" {
  count = local.create_environment ? 1 : 0

  type        = "slack"
  name        = "${var.flow_name}-slack-${var.environment_name}"
  label       = "Slack"
  external_id = var.slack_workspace_id
}

resource "sym_error_logger" "slack" {
  count = local.create_environment ? 1 : 0

  integration_id = sym_integration.slack[0].id
  destination    = var.error_channel
}

resource "sym_environment" "this" {
  count = local.create_environment ? 1 : 0

  name            = "${var.flow_name}-${var.environment_name}"
  label           = "pg-ephemeral (${var.environment_name})"
  runtime_id      = sym_runtime.this[0].id
  error_logger_id = sym_error_logger.slack[0].id

  integrations = {
    slack_id = sym_integration.slack[0].id
  }
}

###############################################################################
# Strategy: Sym assumes the broker's invoker role and invokes the alias
###############################################################################

# Permission context for the invoker role created by modules/pg-ephemeral
# (path /sym/, trusted by the runtime connector role,
# allowed lambda:InvokeFunction on the alias only).
resource "sym_integration" "broker_invoker" {
  type        = "permission_context"
  name        = "${var.flow_name}-invoker-${var.environment_name}"
  label       = "pg-ephemeral invoker (${var.environment_name})"
  external_id = var.aws_account_id

  # As Sym's lambda connector module: no external ID unless the broker's
  # invoker role requires one.
  settings = merge(
    {
      cloud      = "aws"
      region     = var.aws_region
      account_id = var.aws_account_id
      role_arn   = var.sym_invoker_role_arn
    },
    var.sym_external_id == null ? {} : { external_id = var.sym_external_id },
  )
}

# One target per allow-listed target. The name is what the broker receives as
# fields.target.name and looks up in BROKER_TARGETS; the PostgreSQL roles are
# never sent by Sym.
resource "sym_target" "database" {
  for_each = toset(local.target_names)

  type  = "aws_lambda_function"
  name  = each.key
  label = lookup(var.target_labels, each.key, "PostgreSQL: ${each.key}")

  settings = {
    arn = var.broker_alias_arn
  }
}

resource "sym_strategy" "broker" {
  type           = "aws_lambda"
  name           = "${var.flow_name}-${var.environment_name}"
  label          = "pg-ephemeral (${var.environment_name})"
  integration_id = sym_integration.broker_invoker.id
  targets        = [for name in local.target_names : sym_target.database[name].id]
}

###############################################################################
# Flow
###############################################################################

resource "sym_flow" "this" {
  name  = var.flow_name
  label = var.flow_label

  implementation = file("${path.module}/impl.py")
  environment_id = local.environment_id

  # Flow vars are strings; impl.py converts them back.
  vars = {
    request_channel     = var.request_channel
    allow_self_approval = tostring(var.allow_self_approval)
  }

  params {
    strategy_id = sym_strategy.broker.id

    # Sym sends deescalate when the duration is over (the broker's sweep is
    # the safety net) or when someone presses Revoke.
    schedule_deescalation = true
    allow_revoke          = true

    additional_header_text = "You will get a temporary PostgreSQL login. Read it with `aws secretsmanager get-secret-value --secret-id <prefix><your email>/<target>`."

    # The broker reads fields.target (from the strategy), fields.duration and
    # fields.reason: the names below are part of its contract.
    prompt_field {
      name     = "reason"
      label    = "Why do you need access?"
      type     = "string"
      required = true
    }

    prompt_field {
      name           = "duration"
      label          = "For how long?"
      type           = "duration"
      required       = true
      allowed_values = var.durations
    }
  }

  lifecycle {
    precondition {
      condition     = alltrue([for d, seconds in local.duration_seconds : seconds <= var.broker_max_ttl_seconds])
      error_message = "Every duration must be at most the broker's max_ttl (${var.broker_max_ttl_seconds}s); longer ones: ${join(", ", [for d, seconds in local.duration_seconds : d if seconds > var.broker_max_ttl_seconds])}."
    }
  }
}

# A warning, not an error: if your Sym deployment turns out to send durations
# in minutes (check a broker log line), the broker's duration_unit is the knob.
check "broker_reads_sym_durations_as_seconds" {
  assert {
    condition     = var.broker_duration_unit == "seconds"
    error_message = "Sym sends duration fields as whole seconds, but the broker's duration_unit is ${var.broker_duration_unit}."
  }
}
