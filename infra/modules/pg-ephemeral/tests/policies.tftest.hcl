# Security properties of every IAM and KMS policy the module writes.
# The AWS provider is mocked (tests/mocks): nothing is created, and ARNs are
# fixed so that the assertions can compare them exactly.
#
# Each assertion pins a property down completely (exact action sets, exact
# resources, exact conditions), so widening any policy makes a test fail.

mock_provider "aws" {
  source = "./tests/mocks"
}

override_resource {
  target = aws_iam_role.broker
  values = { arn = "arn:aws:iam::111122223333:role/pg-ephemeral-broker" }
}

override_resource {
  target = aws_iam_role.scheduler
  values = { arn = "arn:aws:iam::111122223333:role/pg-ephemeral-sweep-scheduler" }
}

override_resource {
  target = aws_iam_role.sym_invoker
  values = { arn = "arn:aws:iam::111122223333:role/sym/pg-ephemeral-sym-invoker" }
}

variables {
  package_s3_bucket              = "artifacts-example"
  package_s3_key                 = "pg-ephemeral/pg-ephemeral.jar"
  db_url                         = "jdbc:postgresql://db.internal:5432/app"
  db_user                        = "ephemeral_bot"
  targets                        = { readonly = ["readonly"], analytics = ["analytics_ro", "orders_ro"] }
  vpc_id                         = "vpc-0123456789abcdef0"
  subnet_ids                     = ["subnet-0aaa", "subnet-0bbb"]
  database_security_group_ids    = ["sg-0db"]
  create_secretsmanager_endpoint = true
  sym_runtime_role_arn           = "arn:aws:iam::111122223333:role/sym/SymRuntimeProd"
  sym_external_id                = "0b7b3c3e-6a1f-4c55-9d7e-1d2f3a4b5c6d"
}

run "broker_may_create_secrets_only_inside_the_prefix" {
  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.broker.policy).Statement : s if s.Sid == "CreateIssuedSecrets"
      ]) == {
      Sid      = "CreateIssuedSecrets"
      Effect   = "Allow"
      Action   = "secretsmanager:CreateSecret"
      Resource = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:pg-ephemeral/*"
      Condition = {
        StringLike                = { "secretsmanager:Name" = "pg-ephemeral/*" }
        StringEquals              = { "secretsmanager:KmsKeyId" = "arn:aws:kms:eu-west-1:111122223333:key/0d1e2f3a-0000-4000-8000-000000000001" }
        Null                      = { "aws:RequestTag/pg-ephemeral:requester" = "false" }
        "ForAllValues:StringLike" = { "aws:TagKeys" = ["pg-ephemeral:*"] }
      }
    }
    error_message = "CreateSecret must be limited to the prefix (name condition and ARN), the module's KMS key, and require the requester tag."
  }

  assert {
    # No other statement may grant CreateSecret (e.g. an unconditioned copy).
    condition = length([
      for s in jsondecode(aws_iam_role_policy.broker.policy).Statement : s
      if contains(flatten([s.Action]), "secretsmanager:CreateSecret")
    ]) == 1
    error_message = "secretsmanager:CreateSecret must appear in exactly one statement."
  }
}

run "broker_policy_is_exactly_the_documented_one" {
  assert {
    # The complete inventory of what the broker may do, statement by statement.
    condition = {
      for s in jsondecode(aws_iam_role_policy.broker.policy).Statement :
      s.Sid => { actions = toset(flatten([s.Action])), resources = toset(flatten([s.Resource])) }
      } == {
      CreateIssuedSecrets = {
        actions   = toset(["secretsmanager:CreateSecret"])
        resources = toset(["arn:aws:secretsmanager:eu-west-1:111122223333:secret:pg-ephemeral/*"])
      }
      TagIssuedSecrets = {
        actions   = toset(["secretsmanager:TagResource", "secretsmanager:UntagResource"])
        resources = toset(["arn:aws:secretsmanager:eu-west-1:111122223333:secret:pg-ephemeral/*"])
      }
      ManageIssuedSecrets = {
        actions = toset(["secretsmanager:PutSecretValue", "secretsmanager:DescribeSecret", "secretsmanager:DeleteSecret",
        "secretsmanager:UpdateSecretVersionStage", "secretsmanager:GetResourcePolicy"])
        resources = toset(["arn:aws:secretsmanager:eu-west-1:111122223333:secret:pg-ephemeral/*"])
      }
      ListIssuedSecrets = {
        actions   = toset(["secretsmanager:ListSecrets"])
        resources = toset(["*"])
      }
      ReadBotPassword = {
        actions   = toset(["secretsmanager:GetSecretValue"])
        resources = toset(["arn:aws:secretsmanager:eu-west-1:111122223333:secret:pg-ephemeral-bot/db-password-AbC123"])
      }
      RecordFailedSweeps = {
        actions   = toset(["sqs:SendMessage"])
        resources = toset(["arn:aws:sqs:eu-west-1:111122223333:pg-ephemeral-sweep-dlq"])
      }
      WriteOwnLogs = {
        actions   = toset(["logs:CreateLogStream", "logs:PutLogEvents"])
        resources = toset(["arn:aws:logs:eu-west-1:111122223333:log-group:/aws/lambda/pg-ephemeral:*"])
      }
      CreateFunctionEnis = {
        actions = toset(["ec2:CreateNetworkInterface"])
        resources = toset([
          "arn:aws:ec2:eu-west-1:111122223333:network-interface/*",
          "arn:aws:ec2:eu-west-1:111122223333:subnet/subnet-0aaa",
          "arn:aws:ec2:eu-west-1:111122223333:subnet/subnet-0bbb",
          "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0b0b0b0b0b0b0b0b0",
        ])
      }
      ManageFunctionEnis = {
        actions   = toset(["ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"])
        resources = toset(["arn:aws:ec2:eu-west-1:111122223333:network-interface/*"])
      }
      DescribeNetworkForEnis = {
        actions   = toset(["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"])
        resources = toset(["*"])
      }
    }
    error_message = "The broker's execution policy differs from the documented least-privilege set (actions or resources were added or widened)."
  }

  assert {
    # Conditions of the tag statement: only the broker's own tag keys.
    condition = one([
      for s in jsondecode(aws_iam_role_policy.broker.policy).Statement : s.Condition if s.Sid == "TagIssuedSecrets"
    ]) == { "ForAllValues:StringLike" = { "aws:TagKeys" = ["pg-ephemeral:*"] } }
    error_message = "TagResource/UntagResource must be limited to pg-ephemeral:* tag keys."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.broker.policy).Statement :
      s.Effect == "Allow" && !contains(keys(s), "NotAction") && !contains(keys(s), "NotResource")
    ])
    error_message = "Only plain Allow statements (no NotAction/NotResource) are expected."
  }
}

run "no_star_resource_beyond_the_documented_exception" {
  assert {
    condition = toset(flatten([
      for doc in [
        aws_iam_role_policy.broker.policy,
        aws_iam_role_policy.scheduler.policy,
        aws_iam_role_policy.sym_invoker[0].policy,
        aws_iam_policy.requester[0].policy,
        ] : [
        for s in jsondecode(doc).Statement : s.Sid if contains(flatten([s.Resource]), "*")
      ]
    ])) == toset(["DescribeNetworkForEnis", "ListIssuedSecrets"])
    error_message = "Resource \"*\" is only allowed for ec2:Describe* (no resource-level permissions); see iam.tf."
  }

  assert {
    condition = alltrue(flatten([
      for doc in [
        aws_iam_role_policy.broker.policy,
        aws_iam_role_policy.scheduler.policy,
        aws_iam_role_policy.sym_invoker[0].policy,
        aws_iam_policy.requester[0].policy,
        ] : [
        for s in jsondecode(doc).Statement : [for a in flatten([s.Action]) : !strcontains(a, "*")]
      ]
    ]))
    error_message = "Identity policies must name actions one by one (no wildcards such as secretsmanager:*)."
  }

  assert {
    # The sweep lists the broker's secrets (names and tags, never values); nobody else may list
    # them, so requesters cannot enumerate each other's names.
    condition = !strcontains(join(" ", [
      aws_iam_role_policy.scheduler.policy,
      aws_iam_role_policy.sym_invoker[0].policy,
      aws_iam_policy.requester[0].policy,
      aws_kms_key.issued_secrets.policy,
    ]), "secretsmanager:ListSecrets")
    error_message = "Only the broker may list secrets (secretsmanager:ListSecrets)."
  }
}

run "requester_policy_matches_the_callers_own_tag" {
  assert {
    condition = one([
      for s in jsondecode(aws_iam_policy.requester[0].policy).Statement : s if s.Sid == "ReadOwnIssuedSecrets"
      ]) == {
      Sid      = "ReadOwnIssuedSecrets"
      Effect   = "Allow"
      Action   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
      Resource = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:pg-ephemeral/*"
      Condition = {
        StringEqualsIgnoreCase = { "secretsmanager:ResourceTag/pg-ephemeral:requester" = "$${aws:PrincipalTag/email}" }
        Null                   = { "aws:PrincipalTag/email" = "false" }
      }
    }
    error_message = "Requesters may only read/describe secrets inside the prefix whose pg-ephemeral:requester tag equals their own email principal tag."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_iam_policy.requester[0].policy).Statement : s if s.Sid == "DecryptIssuedSecretsViaSecretsManager"
      ]) == {
      Sid      = "DecryptIssuedSecretsViaSecretsManager"
      Effect   = "Allow"
      Action   = "kms:Decrypt"
      Resource = "arn:aws:kms:eu-west-1:111122223333:key/0d1e2f3a-0000-4000-8000-000000000001"
      Condition = {
        StringEquals = { "kms:ViaService" = "secretsmanager.eu-west-1.amazonaws.com" }
        StringLike   = { "kms:EncryptionContext:SecretARN" = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:pg-ephemeral/*" }
      }
    }
    error_message = "Requesters may decrypt only through Secrets Manager and only secrets inside the prefix."
  }

  assert {
    condition     = length(jsondecode(aws_iam_policy.requester[0].policy).Statement) == 2
    error_message = "The requester policy has exactly two statements."
  }

  assert {
    condition     = output.requester_policy_json == aws_iam_policy.requester[0].policy
    error_message = "The requester_policy_json output must be the policy that is created."
  }
}

run "requester_tag_key_follows_the_variable" {
  variables {
    requester_principal_tag = "mail"
  }

  assert {
    condition = one([
      for s in jsondecode(aws_iam_policy.requester[0].policy).Statement : s.Condition if s.Sid == "ReadOwnIssuedSecrets"
      ]) == {
      StringEqualsIgnoreCase = { "secretsmanager:ResourceTag/pg-ephemeral:requester" = "$${aws:PrincipalTag/mail}" }
      Null                   = { "aws:PrincipalTag/mail" = "false" }
    }
    error_message = "The ABAC condition must use the configured principal tag."
  }
}

run "kms_key_policy_allows_use_only_via_secrets_manager" {
  assert {
    condition = toset([for s in jsondecode(aws_kms_key.issued_secrets.policy).Statement : s.Sid]) == toset([
      "KeyAdministration",
      "BrokerEncryptsIssuedSecrets",
      "RequestersDecryptIssuedSecrets",
      "BrokerReadsBotPassword",
      "OperatorsSetBotPassword",
    ])
    error_message = "The key policy must contain exactly the documented statements."
  }

  assert {
    # Resource "*" in a key policy means "this key"; it is the only form KMS accepts.
    condition     = alltrue([for s in jsondecode(aws_kms_key.issued_secrets.policy).Statement : s.Resource == "*"])
    error_message = "Key policy statements use Resource \"*\" (this key)."
  }

  assert {
    # Administrators manage the key but cannot use it or hand out its use.
    condition = length(setintersection(
      toset(one([for s in jsondecode(aws_kms_key.issued_secrets.policy).Statement : s.Action if s.Sid == "KeyAdministration"])),
      toset(["kms:*", "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKey*", "kms:ReEncrypt*", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:CreateGrant", "kms:Create*", "kms:Put*"])
    )) == 0
    error_message = "KeyAdministration must not include cryptographic operations, grants or wildcards."
  }

  assert {
    # Every statement that allows cryptographic use is limited to Secrets
    # Manager calls from this account, for secrets inside the prefix or the
    # bot secret.
    condition = alltrue([
      for s in jsondecode(aws_kms_key.issued_secrets.policy).Statement :
      s.Condition.StringEquals == {
        "kms:ViaService"    = "secretsmanager.eu-west-1.amazonaws.com"
        "kms:CallerAccount" = "111122223333"
        } && contains([
          "arn:aws:secretsmanager:eu-west-1:111122223333:secret:pg-ephemeral/*",
          "arn:aws:secretsmanager:eu-west-1:111122223333:secret:pg-ephemeral-bot/db-password-??????",
      ], s.Condition.StringLike["kms:EncryptionContext:SecretARN"])
      if s.Sid != "KeyAdministration"
    ])
    error_message = "Key use must be conditioned on kms:ViaService=Secrets Manager, the caller account and the secret ARN."
  }

  assert {
    condition = {
      for s in jsondecode(aws_kms_key.issued_secrets.policy).Statement : s.Sid => {
        principal = s.Principal.AWS
        actions   = toset(flatten([s.Action]))
      } if s.Sid != "KeyAdministration"
      } == {
      BrokerEncryptsIssuedSecrets    = { principal = "arn:aws:iam::111122223333:role/pg-ephemeral-broker", actions = toset(["kms:GenerateDataKey", "kms:Decrypt"]) }
      RequestersDecryptIssuedSecrets = { principal = "arn:aws:iam::111122223333:root", actions = toset(["kms:Decrypt"]) }
      BrokerReadsBotPassword         = { principal = "arn:aws:iam::111122223333:role/pg-ephemeral-broker", actions = toset(["kms:Decrypt"]) }
      OperatorsSetBotPassword        = { principal = "arn:aws:iam::111122223333:root", actions = toset(["kms:GenerateDataKey", "kms:Decrypt"]) }
    }
    error_message = "Only the broker encrypts; requesters (delegated to IAM) only decrypt."
  }
}

run "kms_requester_statement_can_be_fenced_by_principal_arn" {
  variables {
    requester_principal_arn_patterns = ["arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/*"]
  }

  assert {
    condition = one([
      for s in jsondecode(aws_kms_key.issued_secrets.policy).Statement : s.Condition.ArnLike if s.Sid == "RequestersDecryptIssuedSecrets"
    ]) == { "aws:PrincipalArn" = ["arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/*"] }
    error_message = "requester_principal_arn_patterns must become an aws:PrincipalArn condition."
  }
}

run "sym_may_only_invoke_the_alias" {
  assert {
    condition     = aws_iam_role.sym_invoker[0].path == "/sym/"
    error_message = "Sym's runtime connector can only assume roles under /sym/."
  }

  assert {
    condition = jsondecode(aws_iam_role.sym_invoker[0].assume_role_policy).Statement == [{
      Sid       = "SymRuntimeAssumesRole"
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::111122223333:role/sym/SymRuntimeProd" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "sts:ExternalId" = "0b7b3c3e-6a1f-4c55-9d7e-1d2f3a4b5c6d" } }
    }]
    error_message = "Only the Sym runtime connector role, presenting the external ID, may assume the invoker role."
  }

  assert {
    condition = jsondecode(aws_iam_role_policy.sym_invoker[0].policy).Statement == [{
      Sid      = "InvokeBrokerAlias"
      Effect   = "Allow"
      Action   = "lambda:InvokeFunction"
      Resource = "arn:aws:lambda:eu-west-1:111122223333:function:pg-ephemeral:live"
    }]
    error_message = "The invoker role may only invoke the function's alias."
  }

  assert {
    condition = output.sym_integration_settings == {
      cloud       = "aws"
      region      = "eu-west-1"
      account_id  = "111122223333"
      role_arn    = "arn:aws:iam::111122223333:role/sym/pg-ephemeral-sym-invoker"
      external_id = "0b7b3c3e-6a1f-4c55-9d7e-1d2f3a4b5c6d"
    }
    error_message = "sym_integration_settings must describe the invoker role for infra/sym."
  }
}

run "scheduler_role_is_confined_to_this_schedule_group" {
  assert {
    condition = jsondecode(aws_iam_role.scheduler.assume_role_policy).Statement[0].Condition == {
      StringEquals = { "aws:SourceAccount" = "111122223333" }
      ArnEquals    = { "aws:SourceArn" = "arn:aws:scheduler:eu-west-1:111122223333:schedule-group/pg-ephemeral" }
    }
    error_message = "Only schedules of this module's group may assume the scheduler role."
  }

  assert {
    condition = jsondecode(aws_iam_role_policy.scheduler.policy).Statement == [
      {
        Sid      = "InvokeBrokerAlias"
        Effect   = "Allow"
        Action   = "lambda:InvokeFunction"
        Resource = "arn:aws:lambda:eu-west-1:111122223333:function:pg-ephemeral:live"
      },
      {
        Sid      = "WriteDeadLetterQueue"
        Effect   = "Allow"
        Action   = "sqs:SendMessage"
        Resource = "arn:aws:sqs:eu-west-1:111122223333:pg-ephemeral-sweep-dlq"
      },
    ]
    error_message = "The scheduler role may only invoke the alias and write the dead-letter queue."
  }
}

run "existing_bot_secret_is_read_with_its_own_key" {
  variables {
    create_bot_secret      = false
    bot_secret_arn         = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:rds!db-1234-XyZ789"
    bot_secret_kms_key_arn = "arn:aws:kms:eu-west-1:111122223333:key/99999999-0000-4000-8000-000000000009"
  }

  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.broker.policy).Statement : s.Resource if s.Sid == "ReadBotPassword"
    ]) == "arn:aws:secretsmanager:eu-west-1:111122223333:secret:rds!db-1234-XyZ789"
    error_message = "GetSecretValue must be limited to the given bot secret."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.broker.policy).Statement : s if s.Sid == "DecryptBotPassword"
      ]) == {
      Sid       = "DecryptBotPassword"
      Effect    = "Allow"
      Action    = "kms:Decrypt"
      Resource  = "arn:aws:kms:eu-west-1:111122223333:key/99999999-0000-4000-8000-000000000009"
      Condition = { StringEquals = { "kms:ViaService" = "secretsmanager.eu-west-1.amazonaws.com" } }
    }
    error_message = "The bot secret's own key may only be used for Decrypt via Secrets Manager."
  }

  assert {
    condition     = length(aws_secretsmanager_secret.bot) == 0
    error_message = "No bot secret is created when an existing one is given."
  }

  assert {
    condition     = !contains([for s in jsondecode(aws_kms_key.issued_secrets.policy).Statement : s.Sid], "OperatorsSetBotPassword")
    error_message = "Without a created bot secret the key policy has no bot statements."
  }
}

run "bot_secret_must_stay_outside_the_prefix" {
  command = plan

  variables {
    create_bot_secret = false
    bot_secret_arn    = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:pg-ephemeral/bot-AbC123"
  }

  expect_failures = [aws_iam_role_policy.broker]
}

run "created_bot_secret_name_must_stay_outside_the_prefix" {
  command = plan

  variables {
    bot_secret_name = "pg-ephemeral/bot"
  }

  expect_failures = [aws_secretsmanager_secret.bot]
}
