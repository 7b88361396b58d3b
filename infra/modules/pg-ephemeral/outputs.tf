output "function_name" {
  description = "Name of the Lambda function."
  value       = aws_lambda_function.broker.function_name
}

output "function_arn" {
  description = "Unqualified ARN of the Lambda function (do not give this to Sym: use alias_arn)."
  value       = aws_lambda_function.broker.arn
}

output "published_version" {
  description = "Version published by this apply (SnapStart snapshot). Note it: it is what pinned_version takes to roll back to."
  value       = aws_lambda_function.broker.version
}

output "alias_name" {
  description = "Name of the alias Sym and the sweeper invoke."
  value       = aws_lambda_alias.live.name
}

output "alias_arn" {
  description = "ARN of the alias: the ARN each sym_target points at."
  value       = aws_lambda_alias.live.arn
}

output "alias_version" {
  description = "Version the alias currently points at."
  value       = aws_lambda_alias.live.function_version
}

output "execution_role_arn" {
  description = "ARN of the function's execution role."
  value       = aws_iam_role.broker.arn
}

output "security_group_id" {
  description = "Security group of the function (egress to the database port and Secrets Manager only). Allow it in the database's ingress rules."
  value       = aws_security_group.broker.id
}

output "log_group_name" {
  description = "CloudWatch log group of the function."
  value       = aws_cloudwatch_log_group.broker.name
}

output "kms_key_arn" {
  description = "ARN of the customer-managed key encrypting issued secrets (and the created bot secret)."
  value       = aws_kms_key.issued_secrets.arn
}

output "function_kms_key_arn" {
  description = "ARN of the customer-managed key encrypting the function's environment and SnapStart snapshots."
  value       = aws_kms_key.function.arn
}

output "kms_key_alias" {
  description = "Alias of that key."
  value       = aws_kms_alias.issued_secrets.name
}

output "bot_secret_arn" {
  description = "ARN of the secret holding the bot's database password (BROKER_DB_SECRET_ID)."
  value       = local.bot_secret_arn
}

output "bot_secret_name" {
  description = "Name of the created bot secret (null when an existing secret is used)."
  value       = var.create_bot_secret ? aws_secretsmanager_secret.bot[0].name : null
}

output "secret_prefix" {
  description = "Prefix of issued secret names: <prefix><requester email>/<target>."
  value       = var.secret_prefix
}

output "issued_secret_arn_pattern" {
  description = "IAM ARN pattern covering every issued secret."
  value       = local.issued_secret_arn_pattern
}

output "requester_policy_json" {
  description = "Requester policy document: paste it as the inline policy of an Identity Center permission set, or attach requester_policy_arn."
  value       = jsonencode(local.requester_policy)
}

output "requester_policy_arn" {
  description = "ARN of the created requester policy (null when create_requester_policy is false)."
  value       = var.create_requester_policy ? aws_iam_policy.requester[0].arn : null
}

output "requester_policy_name" {
  description = "Name of the created requester policy, for a permission set's customer-managed policy reference."
  value       = var.create_requester_policy ? aws_iam_policy.requester[0].name : null
}

output "requester_principal_tag" {
  description = "Principal tag the requester policy compares with each secret's pg-ephemeral:requester tag."
  value       = var.requester_principal_tag
}

output "sweep_schedule_arn" {
  description = "ARN of the sweep schedule."
  value       = aws_scheduler_schedule.sweep.arn
}

output "sweep_dlq_arn" {
  description = "ARN of the dead-letter queue for sweeps that could not be delivered or failed."
  value       = aws_sqs_queue.sweep_dlq.arn
}

output "sweep_dlq_url" {
  description = "URL of that queue (for aws sqs receive-message)."
  value       = aws_sqs_queue.sweep_dlq.url
}

output "max_ttl" {
  description = "BROKER_MAX_TTL as configured."
  value       = var.max_ttl
}

output "max_ttl_seconds" {
  description = "BROKER_MAX_TTL in seconds: the Sym flow's durations must not exceed it."
  value       = local.max_ttl_seconds
}

output "target_names" {
  description = "Allow-listed target names; infra/sym creates one sym_target for each."
  value       = sort(keys(var.targets))
}

output "sym_invoker_role_arn" {
  description = "ARN of the role Sym assumes to invoke the alias (null when sym_runtime_role_arn is not set)."
  value       = var.sym_runtime_role_arn == null ? null : aws_iam_role.sym_invoker[0].arn
}

output "sym_integration_settings" {
  description = "Settings of the Sym permission_context integration for the invoker role (null when sym_runtime_role_arn is not set)."
  value = var.sym_runtime_role_arn == null ? null : merge(
    {
      cloud      = "aws"
      region     = local.region
      account_id = local.account_id
      role_arn   = aws_iam_role.sym_invoker[0].arn
    },
    var.sym_external_id == null ? {} : { external_id = var.sym_external_id },
  )
}

output "sym_inputs" {
  description = "Everything infra/sym needs from this module, shaped like its variables: `terraform output -json sym_inputs > ../sym/broker.auto.tfvars.json`."
  value = {
    broker_alias_arn       = aws_lambda_alias.live.arn
    broker_target_names    = sort(keys(var.targets))
    broker_max_ttl_seconds = local.max_ttl_seconds
    broker_duration_unit   = var.duration_unit
    aws_region             = local.region
    aws_account_id         = local.account_id
    sym_invoker_role_arn   = var.sym_runtime_role_arn == null ? null : aws_iam_role.sym_invoker[0].arn
    sym_external_id        = var.sym_external_id
  }
}
