# Function, alias, environment, sweeper schedule, network, and input
# validation. The AWS provider is mocked (tests/mocks): nothing is created.

mock_provider "aws" {
  source = "./tests/mocks"
}

override_resource {
  target = aws_iam_role.scheduler
  values = { arn = "arn:aws:iam::111122223333:role/pg-ephemeral-sweep-scheduler" }
}

variables {
  package_s3_bucket                          = "artifacts-example"
  package_s3_key                             = "pg-ephemeral/pg-ephemeral.jar"
  package_s3_object_version                  = "v42"
  db_url                                     = "jdbc:postgresql://db.internal:5432/app?sslmode=verify-full"
  db_user                                    = "ephemeral_bot"
  targets                                    = { readonly = ["readonly"], analytics = ["analytics_ro", "orders_ro"] }
  vpc_id                                     = "vpc-0123456789abcdef0"
  subnet_ids                                 = ["subnet-0aaa", "subnet-0bbb"]
  database_security_group_ids                = ["sg-0db"]
  secretsmanager_endpoint_security_group_ids = ["sg-0vpce"]
  requester_principal_arn_patterns           = ["arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_PgEphemeralRequester_????????????????"]
}

run "function_uses_snapstart_behind_an_alias" {
  assert {
    condition     = aws_lambda_function.broker.publish == true && aws_lambda_function.broker.snap_start[0].apply_on == "PublishedVersions"
    error_message = "SnapStart needs published versions."
  }

  assert {
    condition     = aws_lambda_function.broker.handler == "io.pgephemeral.function.BrokerFunction::handleRequest" && aws_lambda_function.broker.runtime == "java17"
    error_message = "Handler and runtime must match the Java build."
  }

  assert {
    condition     = aws_lambda_alias.live.name == "live" && aws_lambda_alias.live.function_version == aws_lambda_function.broker.version
    error_message = "The alias must point at the version this apply published."
  }

  assert {
    condition     = output.alias_arn == "arn:aws:lambda:eu-west-1:111122223333:function:pg-ephemeral:live"
    error_message = "alias_arn must be the qualified alias ARN."
  }

  assert {
    condition     = aws_lambda_function.broker.reserved_concurrent_executions == -1 && aws_lambda_function.broker.timeout == 60 && aws_lambda_function.broker.memory_size == 1024
    error_message = "Defaults for concurrency, timeout and memory changed."
  }

  assert {
    condition     = aws_cloudwatch_log_group.broker.name == "/aws/lambda/pg-ephemeral" && aws_cloudwatch_log_group.broker.retention_in_days == 30 && aws_lambda_function.broker.logging_config[0].log_group == "/aws/lambda/pg-ephemeral"
    error_message = "The function must log to the managed log group with retention."
  }

  assert {
    condition     = toset(aws_lambda_function.broker.vpc_config[0].subnet_ids) == toset(["subnet-0aaa", "subnet-0bbb"]) && toset(aws_lambda_function.broker.vpc_config[0].security_group_ids) == toset(["sg-0b0b0b0b0b0b0b0b0"])
    error_message = "The function must run in the given subnets with the module's security group."
  }
}

run "environment_is_exactly_what_the_broker_reads" {
  assert {
    condition = aws_lambda_function.broker.environment[0].variables == tomap({
      BROKER_DB_URL            = "jdbc:postgresql://db.internal:5432/app?sslmode=verify-full"
      BROKER_DB_USER           = "ephemeral_bot"
      BROKER_DB_SECRET_ID      = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:pg-ephemeral-bot/db-password-AbC123"
      BROKER_TARGETS           = "analytics=analytics_ro|orders_ro,readonly=readonly"
      BROKER_MAX_TTL           = "12h"
      BROKER_DURATION_UNIT     = "seconds"
      BROKER_SECRET_PREFIX     = "pg-ephemeral/"
      BROKER_SECRET_STORE      = "aws"
      BROKER_SECRET_KMS_KEY_ID = "arn:aws:kms:eu-west-1:111122223333:key/0d1e2f3a-0000-4000-8000-000000000001"
      JAVA_TOOL_OPTIONS        = "-XX:+TieredCompilation -XX:TieredStopAtLevel=1"
    })
    error_message = "Environment variables differ from the broker's contract."
  }

  assert {
    condition     = output.max_ttl_seconds == 43200
    error_message = "12h is 43200 seconds."
  }
}

run "optional_environment_is_added_only_when_set" {
  variables {
    ledger_url        = "jdbc:postgresql://ledger.internal:5432/ledger?sslmode=verify-full"
    connect_host      = "db.example.com"
    db_ca_bundle      = "/opt/rds/global-bundle.pem"
    duration_unit     = "minutes"
    max_ttl           = "90m"
    java_tool_options = ""
    extra_environment = { BROKER_CONNECTION_LIMIT = "3" }
    creator_roles     = ["ephemeral_creator_00", "ephemeral_creator_01"]
  }

  assert {
    condition = {
      for k, v in aws_lambda_function.broker.environment[0].variables : k => v
      if contains(["BROKER_LEDGER_URL", "BROKER_CONNECT_HOST", "BROKER_DB_CA_BUNDLE", "BROKER_DURATION_UNIT", "BROKER_MAX_TTL", "BROKER_CONNECTION_LIMIT", "BROKER_CREATOR_ROLES", "JAVA_TOOL_OPTIONS"], k)
      } == {
      BROKER_LEDGER_URL       = "jdbc:postgresql://ledger.internal:5432/ledger?sslmode=verify-full"
      BROKER_CONNECT_HOST     = "db.example.com"
      BROKER_CREATOR_ROLES    = "ephemeral_creator_00,ephemeral_creator_01"
      BROKER_DB_CA_BUNDLE     = "/opt/rds/global-bundle.pem"
      BROKER_DURATION_UNIT    = "minutes"
      BROKER_MAX_TTL          = "90m"
      BROKER_CONNECTION_LIMIT = "3"
    }
    error_message = "Optional variables must appear when set and JAVA_TOOL_OPTIONS must disappear when empty."
  }

  assert {
    condition     = output.max_ttl_seconds == 5400
    error_message = "90m is 5400 seconds."
  }
}

run "sweeper_invokes_the_alias_with_the_scheduled_event" {
  assert {
    condition     = aws_scheduler_schedule.sweep.target[0].arn == aws_lambda_alias.live.arn
    error_message = "The schedule must invoke the alias (SnapStart), not the function or $LATEST."
  }

  assert {
    condition = jsondecode(aws_scheduler_schedule.sweep.target[0].input) == {
      source        = "aws.events"
      "detail-type" = "Scheduled Event"
      detail        = {}
    }
    error_message = "The schedule must send the scheduled event the broker recognises as a sweep."
  }

  assert {
    condition     = aws_scheduler_schedule.sweep.schedule_expression == "rate(1 minute)" && aws_scheduler_schedule.sweep.state == "ENABLED" && aws_scheduler_schedule.sweep.flexible_time_window[0].mode == "OFF"
    error_message = "Default: an enabled sweep every minute, on time."
  }

  assert {
    condition     = aws_scheduler_schedule.sweep.target[0].dead_letter_config[0].arn == aws_sqs_queue.sweep_dlq.arn && aws_scheduler_schedule.sweep.target[0].role_arn == "arn:aws:iam::111122223333:role/pg-ephemeral-sweep-scheduler"
    error_message = "Undeliverable sweeps must go to the dead-letter queue."
  }

  assert {
    condition     = aws_scheduler_schedule.sweep.target[0].retry_policy[0].maximum_retry_attempts == 2 && aws_scheduler_schedule.sweep.target[0].retry_policy[0].maximum_event_age_in_seconds == 60
    error_message = "Retry policy defaults changed."
  }

  assert {
    condition     = aws_lambda_function_event_invoke_config.live.qualifier == "live" && aws_lambda_function_event_invoke_config.live.destination_config[0].on_failure[0].destination == aws_sqs_queue.sweep_dlq.arn && aws_lambda_function_event_invoke_config.live.maximum_retry_attempts == 0
    error_message = "Failed sweeps must land in the dead-letter queue instead of being retried by Lambda."
  }

  assert {
    condition     = aws_sqs_queue.sweep_dlq.sqs_managed_sse_enabled == true
    error_message = "The dead-letter queue must be encrypted."
  }
}

run "sweeper_can_be_paused_and_rescheduled" {
  variables {
    sweep_enabled             = false
    sweep_schedule_expression = "rate(5 minutes)"
  }

  assert {
    condition     = aws_scheduler_schedule.sweep.state == "DISABLED" && aws_scheduler_schedule.sweep.schedule_expression == "rate(5 minutes)"
    error_message = "sweep_enabled and sweep_schedule_expression must reach the schedule."
  }
}

run "egress_is_limited_to_the_database_port_and_secrets_manager" {
  assert {
    condition = toset(concat(
      [for r in aws_vpc_security_group_egress_rule.database_sg : "${r.ip_protocol}/${r.from_port}-${r.to_port}->${r.referenced_security_group_id}"],
      [for r in aws_vpc_security_group_egress_rule.secretsmanager_endpoint : "${r.ip_protocol}/${r.from_port}-${r.to_port}->${r.referenced_security_group_id}"],
      )) == toset([
      "tcp/5432-5432->sg-0db",
      "tcp/443-443->sg-0vpce",
    ])
    error_message = "Egress must be exactly PostgreSQL to the database group and HTTPS to the endpoint group."
  }

  assert {
    condition     = length(aws_vpc_security_group_egress_rule.database_cidr) + length(aws_vpc_security_group_egress_rule.https_cidr) + length(aws_vpc_security_group_egress_rule.broker_to_endpoint) == 0
    error_message = "No CIDR egress unless asked for."
  }

  assert {
    condition     = length(aws_vpc_security_group_ingress_rule.database_from_broker) == 0 && length(aws_vpc_endpoint.secretsmanager) == 0
    error_message = "Database ingress and the endpoint are opt-in."
  }
}

run "optional_endpoint_and_database_ingress" {
  variables {
    secretsmanager_endpoint_security_group_ids = []
    create_secretsmanager_endpoint             = true
    manage_database_ingress                    = true
    database_port                              = 6432
  }

  assert {
    condition     = aws_vpc_endpoint.secretsmanager[0].service_name == "com.amazonaws.eu-west-1.secretsmanager" && aws_vpc_endpoint.secretsmanager[0].private_dns_enabled == true
    error_message = "The endpoint must be the Secrets Manager interface endpoint with private DNS."
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.endpoint_from_broker[0].from_port == 443 && aws_vpc_security_group_ingress_rule.endpoint_from_broker[0].referenced_security_group_id == aws_security_group.broker.id
    error_message = "Only the function may reach the endpoint."
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.database_from_broker["0"].security_group_id == "sg-0db" && aws_vpc_security_group_ingress_rule.database_from_broker["0"].from_port == 6432
    error_message = "The database ingress rule must admit the function on the database port."
  }

  assert {
    condition     = aws_vpc_security_group_egress_rule.database_sg["0"].from_port == 6432 && aws_vpc_security_group_egress_rule.database_sg["0"].to_port == 6432
    error_message = "database_port must reach the egress rule."
  }
}

run "local_jar_and_pinned_version" {
  variables {
    package_s3_bucket              = null
    package_s3_key                 = null
    package_s3_object_version      = null
    package_file                   = "tests/fixtures/placeholder-package.txt"
    pinned_version                 = "2"
    runtime                        = "java21"
    architecture                   = "arm64"
    reserved_concurrent_executions = 5
    redeploy_marker                = "rotated-2025-06-01"
  }

  assert {
    condition     = endswith(aws_lambda_function.broker.description, " rotated-2025-06-01")
    error_message = "redeploy_marker must change the function configuration (and so publish a version)."
  }

  assert {
    condition     = aws_lambda_function.broker.source_code_hash == filebase64sha256("tests/fixtures/placeholder-package.txt")
    error_message = "A new jar must change source_code_hash (and so publish a version)."
  }

  assert {
    condition     = aws_lambda_alias.live.function_version == "2"
    error_message = "pinned_version must roll the alias back."
  }

  assert {
    condition     = aws_lambda_function.broker.runtime == "java21" && aws_lambda_function.broker.architectures == tolist(["arm64"]) && aws_lambda_function.broker.reserved_concurrent_executions == 5
    error_message = "runtime, architecture and reserved concurrency must reach the function."
  }
}

run "no_sym_role_without_a_runtime_role" {
  assert {
    condition     = length(aws_iam_role.sym_invoker) == 0 && output.sym_integration_settings == null
    error_message = "The invoker role is only created when sym_runtime_role_arn is set."
  }
}

run "alarms_when_actions_are_given" {
  variables {
    alarm_actions = ["arn:aws:sns:eu-west-1:111122223333:ops"]
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.sweep_dlq[0].dimensions.QueueName == aws_sqs_queue.sweep_dlq.name && aws_cloudwatch_metric_alarm.errors[0].dimensions.Resource == "pg-ephemeral:live"
    error_message = "Alarms must watch the dead-letter queue and the alias's errors."
  }
}

# --- Inputs that must be refused ------------------------------------------

run "refuses_a_prefix_without_trailing_slash" {
  command = plan
  variables {
    secret_prefix = "pg-ephemeral"
  }
  expect_failures = [var.secret_prefix]
}

run "refuses_a_wildcard_prefix" {
  command = plan
  variables {
    secret_prefix = "pg-*/"
  }
  expect_failures = [var.secret_prefix]
}

run "refuses_unsupported_runtime" {
  command = plan
  variables {
    runtime = "java11"
  }
  expect_failures = [var.runtime]
}

run "refuses_bad_target_names_and_roles" {
  command = plan
  variables {
    targets = { "read/only" = ["readonly"], ok = ["drop table x"] }
  }
  expect_failures = [var.targets]
}

run "refuses_passwords_in_the_environment" {
  command = plan
  variables {
    extra_environment = { BROKER_DB_PASSWORD = "hunter2" }
  }
  expect_failures = [var.extra_environment]
}

run "refuses_overriding_managed_environment" {
  command = plan
  variables {
    extra_environment = { BROKER_SECRET_PREFIX = "other/" }
  }
  expect_failures = [aws_lambda_function.broker]
}

run "refuses_two_packages" {
  command = plan
  variables {
    package_file = "tests/fixtures/placeholder-package.txt"
  }
  expect_failures = [aws_lambda_function.broker]
}

run "refuses_a_function_that_cannot_reach_the_database" {
  command = plan
  variables {
    database_security_group_ids = []
  }
  expect_failures = [aws_security_group.broker]
}

run "refuses_a_function_that_cannot_reach_secrets_manager" {
  command = plan
  variables {
    secretsmanager_endpoint_security_group_ids = []
  }
  expect_failures = [aws_security_group.broker]
}

run "refuses_a_database_url_without_verified_tls" {
  command = plan
  variables {
    db_url = "jdbc:postgresql://db.internal:5432/app"
  }
  expect_failures = [aws_lambda_function.broker]
}

run "refuses_a_weaker_sslmode" {
  command = plan
  variables {
    db_url = "jdbc:postgresql://db.internal:5432/app?sslmode=require"
  }
  expect_failures = [aws_lambda_function.broker]
}

run "refuses_verify_full_overridden_later_in_the_url" {
  command = plan
  variables {
    db_url = "jdbc:postgresql://db.internal:5432/app?sslmode=verify-full&sslmode=disable"
  }
  expect_failures = [aws_lambda_function.broker]
}

run "refuses_a_non_validating_ssl_factory" {
  command = plan
  variables {
    db_url = "jdbc:postgresql://db.internal:5432/app?sslmode=verify-full&sslfactory=org.postgresql.ssl.NonValidatingFactory"
  }
  expect_failures = [aws_lambda_function.broker]
}

run "refuses_a_ledger_url_without_verified_tls" {
  command = plan
  variables {
    ledger_url = "jdbc:postgresql://ledger.internal:5432/ledger?ssl=true"
  }
  expect_failures = [aws_lambda_function.broker]
}

run "accepts_unverified_tls_only_when_opted_out" {
  command = plan
  variables {
    db_url                              = "jdbc:postgresql://db.internal:5432/app"
    allow_database_without_verified_tls = true
  }
  assert {
    condition     = aws_lambda_function.broker.environment[0].variables["BROKER_DB_URL"] == "jdbc:postgresql://db.internal:5432/app"
    error_message = "The explicit opt-out must accept the URL as given."
  }
}

run "refuses_endpoint_subnets_sharing_a_zone" {
  command = plan
  variables {
    secretsmanager_endpoint_security_group_ids = []
    create_secretsmanager_endpoint             = true
  }
  override_data {
    target = data.aws_subnet.function
    values = { availability_zone = "eu-west-1a" }
  }
  expect_failures = [aws_vpc_endpoint.secretsmanager]
}

run "refuses_the_requester_fence_missing" {
  command = plan
  variables {
    requester_principal_arn_patterns = []
  }
  expect_failures = [aws_kms_key.issued_secrets]
}

run "targets_may_opt_in_to_predefined_roles_by_name" {
  variables {
    targets = {
      ops     = ["ops_tools:noinherit:allow=pg_signal_backend+pg_read_all_stats"]
      reports = ["reports_ro:allow=pg_read_all_data"]
    }
  }

  assert {
    condition     = aws_lambda_function.broker.environment[0].variables["BROKER_TARGETS"] == "ops=ops_tools:noinherit:allow=pg_signal_backend+pg_read_all_stats,reports=reports_ro:allow=pg_read_all_data"
    error_message = "An opt-in must reach BROKER_TARGETS as written."
  }
}

run "creator_roles_must_be_plain_distinct_role_names" {
  command = plan

  variables {
    creator_roles = ["ephemeral_creator_00", "ephemeral_creator_00"]
  }

  expect_failures = [var.creator_roles]
}

run "creator_roles_are_left_out_when_empty" {
  command = plan

  assert {
    condition     = !contains(keys(aws_lambda_function.broker.environment[0].variables), "BROKER_CREATOR_ROLES")
    error_message = "BROKER_CREATOR_ROLES must not be set when creator_roles is empty."
  }
}
