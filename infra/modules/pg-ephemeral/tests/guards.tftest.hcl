# Safety guards: each run fails on a change that a review found passing every
# other test (issue 12, point 6). They check what the module lets happen,
# not the shape of its JSON:
#   - no resource may be added without this inventory changing (an
#     aws_lambda_permission, a function URL, a KMS grant, a secret policy or
#     an aws_security_group_rule would each widen who can invoke or read);
#   - the broker's security group has no inline rules and every egress rule
#     goes to the database port or 443;
#   - the bot secret is encrypted with the module's key.
# The AWS provider is mocked (tests/mocks): nothing is created.

mock_provider "aws" {
  source = "./tests/mocks"
}

override_resource {
  target = aws_iam_role.broker
  values = { arn = "arn:aws:iam::111122223333:role/pg-ephemeral-broker" }
}

variables {
  package_s3_bucket              = "artifacts-example"
  package_s3_key                 = "pg-ephemeral/pg-ephemeral.jar"
  db_url                         = "jdbc:postgresql://db.internal:5432/app?sslmode=verify-full"
  db_user                        = "ephemeral_bot"
  targets                        = { readonly = ["readonly"] }
  vpc_id                         = "vpc-0123456789abcdef0"
  subnet_ids                     = ["subnet-0aaa"]
  database_security_group_ids    = ["sg-0db"]
  database_cidr_blocks           = ["10.20.0.0/24"]
  create_secretsmanager_endpoint = true
  https_egress_cidr_blocks       = ["0.0.0.0/0"]
  sym_runtime_role_arn           = "arn:aws:iam::111122223333:role/sym/SymRuntimeProd"
  requester_principal_arn_patterns = [
    "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_PgEphemeralRequester_????????????????",
  ]
}

run "module_declares_exactly_the_reviewed_resources" {
  command = plan

  assert {
    # Every `resource "type" "name"` in the module's .tf files. A new resource
    # (e.g. aws_lambda_permission letting the account invoke the function)
    # fails here until this list, and the threat model, are reviewed.
    condition = toset(flatten([
      for f in fileset(path.module, "*.tf") : [
        for m in regexall("(?m)^resource\\s+\"([a-z0-9_]+)\"\\s+\"([A-Za-z0-9_-]+)\"", file("${path.module}/${f}")) : "${m[0]}.${m[1]}"
      ]
      ])) == toset([
      "aws_cloudwatch_log_group.broker",
      "aws_cloudwatch_metric_alarm.errors",
      "aws_cloudwatch_metric_alarm.sweep_dlq",
      "aws_iam_policy.requester",
      "aws_iam_role.broker",
      "aws_iam_role.scheduler",
      "aws_iam_role.sym_invoker",
      "aws_iam_role_policy.broker",
      "aws_iam_role_policy.scheduler",
      "aws_iam_role_policy.sym_invoker",
      "aws_kms_alias.function",
      "aws_kms_alias.issued_secrets",
      "aws_kms_key.function",
      "aws_kms_key.issued_secrets",
      "aws_lambda_alias.live",
      "aws_lambda_function.broker",
      "aws_lambda_function_event_invoke_config.live",
      "aws_scheduler_schedule.sweep",
      "aws_scheduler_schedule_group.broker",
      "aws_secretsmanager_secret.bot",
      "aws_security_group.broker",
      "aws_security_group.secretsmanager_endpoint",
      "aws_sqs_queue.sweep_dlq",
      "aws_vpc_endpoint.secretsmanager",
      "aws_vpc_security_group_egress_rule.broker_to_endpoint",
      "aws_vpc_security_group_egress_rule.database_cidr",
      "aws_vpc_security_group_egress_rule.database_sg",
      "aws_vpc_security_group_egress_rule.https_cidr",
      "aws_vpc_security_group_egress_rule.secretsmanager_endpoint",
      "aws_vpc_security_group_ingress_rule.database_from_broker",
      "aws_vpc_security_group_ingress_rule.endpoint_from_broker",
    ])
    error_message = "The module's resources changed. A new resource can widen who may invoke the function or read secrets: review it against docs/threat-model-deployment.md, then update this list."
  }

  assert {
    # Named separately so the message says what is at stake.
    condition = length(flatten([
      for f in fileset(path.module, "*.tf") : regexall("(?m)^(resource|data)\\s+\"(aws_lambda_permission|aws_lambda_function_url|aws_lambda_event_source_mapping|aws_kms_grant|aws_secretsmanager_secret_policy|aws_lambda_layer_version_permission|aws_security_group_rule|aws_iam_role_policy_attachment|aws_iam_policy_attachment)\"", file("${path.module}/${f}"))
    ])) == 0
    error_message = "The module must not grant invocation (aws_lambda_permission, function URL, event source), key use (aws_kms_grant), secret access (secret policy), attach further policies, or add aws_security_group_rule rules."
  }
}

run "broker_security_group_has_no_inline_rules" {
  assert {
    # Inline egress/ingress blocks would sit beside (and silently widen) the
    # separate rules below; an allow-all egress written inline is invisible
    # to tests that only look at aws_vpc_security_group_egress_rule.
    condition     = length(aws_security_group.broker.egress) == 0 && length(aws_security_group.broker.ingress) == 0
    error_message = "The broker's security group must have no inline egress or ingress rules."
  }

  assert {
    condition = alltrue(flatten([
      for f in fileset(path.module, "*.tf") : [
        for block in regexall("(?ms)^resource\\s+\"aws_security_group\"\\s+\"[A-Za-z0-9_-]+\"\\s+\\{(.*?)^\\}", file("${path.module}/${f}")) :
        length(regexall("(?m)^\\s*(egress|ingress)\\s*(=|\\{)", block[0])) == 0
      ]
    ]))
    error_message = "No aws_security_group in the module may declare inline egress or ingress (it would replace the managed rules)."
  }
}

run "every_broker_egress_rule_is_database_port_or_https" {
  assert {
    condition = alltrue([
      for r in concat(
        values(aws_vpc_security_group_egress_rule.database_sg),
        values(aws_vpc_security_group_egress_rule.database_cidr),
        values(aws_vpc_security_group_egress_rule.secretsmanager_endpoint),
        values(aws_vpc_security_group_egress_rule.https_cidr),
        aws_vpc_security_group_egress_rule.broker_to_endpoint,
      ) :
      r.ip_protocol == "tcp" && r.from_port == r.to_port && contains([5432, 443], r.from_port)
    ])
    error_message = "Broker egress must be TCP to the database port or 443 only (no -1 protocol, no port ranges)."
  }

  assert {
    # 0.0.0.0/0 is only acceptable for 443 (NAT to Secrets Manager).
    condition = alltrue([
      for r in values(aws_vpc_security_group_egress_rule.database_cidr) : r.cidr_ipv4 != "0.0.0.0/0"
    ])
    error_message = "The database port must not be open to 0.0.0.0/0."
  }
}

run "bot_secret_uses_the_modules_key" {
  assert {
    condition     = aws_secretsmanager_secret.bot[0].kms_key_id == aws_kms_key.issued_secrets.arn
    error_message = "The bot secret must be encrypted with the module's customer-managed key (its key policy limits who decrypts it), not aws/secretsmanager."
  }
}
