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

# A key ARN of its own, so that tests can tell the function key from the
# issued-secrets key.
override_resource {
  target = aws_kms_key.function
  values = { arn = "arn:aws:kms:eu-west-1:111122223333:key/0d1e2f3a-0000-4000-8000-000000000002" }
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
  db_url                         = "jdbc:postgresql://db.internal:5432/app?sslmode=verify-full"
  db_user                        = "ephemeral_bot"
  targets                        = { readonly = ["readonly"], analytics = ["analytics_ro", "orders_ro"] }
  vpc_id                         = "vpc-0123456789abcdef0"
  subnet_ids                     = ["subnet-0aaa", "subnet-0bbb"]
  database_security_group_ids    = ["sg-0db"]
  create_secretsmanager_endpoint = true
  sym_runtime_role_arn           = "arn:aws:iam::111122223333:role/sym/SymRuntimeProd"
  requester_principal_arn_patterns = [
    "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_PgEphemeralRequester_????????????????",
  ]
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
        actions   = toset(["ec2:CreateNetworkInterface"])
        resources = toset(["*"])
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
    ])) == toset(["DescribeNetworkForEnis", "CreateFunctionEnis", "ListIssuedSecrets"])
    error_message = "Resource \"*\" is only allowed for the ENI actions Lambda validates in that form and for ListSecrets (no resource-level permissions); see iam.tf."
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
        StringLike   = { "kms:EncryptionContext:SecretARN" = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:pg-ephemeral/$${aws:PrincipalTag/email}/*" }
      }
    }
    error_message = "Requesters may decrypt only through Secrets Manager and only their own secrets (<prefix><own tag>/)."
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
    condition = [for s in jsondecode(aws_kms_key.issued_secrets.policy).Statement : s.Sid] == [
      "KeyAdministration",
      "BrokerEncryptsIssuedSecrets",
      "RequestersDecryptOwnSecrets",
      "OnlyBrokerEncryptsUnderPrefix",
      "NoDecryptOfOthersSecrets",
      "NoDecryptWithoutRequesterTag",
      "NoDecryptWithWildcardTag",
      "BrokerReadsBotPassword",
      "OperatorsSetBotPassword",
    ]
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
    # Every Allow that permits cryptographic use is limited to Secrets
    # Manager calls from this account, for secrets inside the prefix or the
    # bot secret.
    condition = alltrue([
      for s in jsondecode(aws_kms_key.issued_secrets.policy).Statement :
      s.Condition.StringEquals == {
        "kms:ViaService"    = "secretsmanager.eu-west-1.amazonaws.com"
        "kms:CallerAccount" = "111122223333"
        } && contains([
          "arn:aws:secretsmanager:eu-west-1:111122223333:secret:pg-ephemeral/*",
          "arn:aws:secretsmanager:eu-west-1:111122223333:secret:pg-ephemeral/$${aws:PrincipalTag/email}/*",
          "arn:aws:secretsmanager:eu-west-1:111122223333:secret:pg-ephemeral-bot/db-password-??????",
      ], s.Condition.StringLike["kms:EncryptionContext:SecretARN"])
      if s.Sid != "KeyAdministration" && s.Effect == "Allow"
    ])
    error_message = "Key use must be conditioned on kms:ViaService=Secrets Manager, the caller account and the secret ARN."
  }

  assert {
    condition = {
      for s in jsondecode(aws_kms_key.issued_secrets.policy).Statement : s.Sid => {
        principal = s.Principal.AWS
        actions   = toset(flatten([s.Action]))
      } if s.Sid != "KeyAdministration" && s.Effect == "Allow"
      } == {
      BrokerEncryptsIssuedSecrets = { principal = "arn:aws:iam::111122223333:role/pg-ephemeral-broker", actions = toset(["kms:GenerateDataKey", "kms:Decrypt"]) }
      RequestersDecryptOwnSecrets = { principal = "arn:aws:iam::111122223333:root", actions = toset(["kms:Decrypt"]) }
      BrokerReadsBotPassword      = { principal = "arn:aws:iam::111122223333:role/pg-ephemeral-broker", actions = toset(["kms:Decrypt"]) }
      OperatorsSetBotPassword     = { principal = ["arn:aws:iam::111122223333:root"], actions = toset(["kms:GenerateDataKey", "kms:Decrypt"]) }
    }
    error_message = "Only the broker encrypts issued secrets; requesters (delegated to IAM) only decrypt."
  }
}

run "requesters_decrypt_only_their_own_secrets" {
  assert {
    # The whole statement, so that dropping or loosening any condition
    # (the tag in the ARN, the tag's presence, the principal fence) fails.
    condition = one([
      for s in jsondecode(aws_kms_key.issued_secrets.policy).Statement : s if s.Sid == "RequestersDecryptOwnSecrets"
      ]) == {
      Sid       = "RequestersDecryptOwnSecrets"
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::111122223333:root" }
      Action    = "kms:Decrypt"
      Resource  = "*"
      Condition = {
        StringEquals = { "kms:ViaService" = "secretsmanager.eu-west-1.amazonaws.com", "kms:CallerAccount" = "111122223333" }
        StringLike   = { "kms:EncryptionContext:SecretARN" = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:pg-ephemeral/$${aws:PrincipalTag/email}/*" }
        Null         = { "aws:PrincipalTag/email" = "false" }
        ArnLike      = { "aws:PrincipalArn" = ["arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_PgEphemeralRequester_????????????????"] }
      }
    }
    error_message = "Requesters may decrypt only secrets under <prefix><their own email tag>/, only via Secrets Manager, only from the requester permission set's roles."
  }

  assert {
    # Explicit denies: they hold even against a later Allow or a grant.
    condition = {
      for s in jsondecode(aws_kms_key.issued_secrets.policy).Statement : s.Sid => s if s.Effect == "Deny"
      } == {
      OnlyBrokerEncryptsUnderPrefix = {
        Sid       = "OnlyBrokerEncryptsUnderPrefix"
        Effect    = "Deny"
        Principal = { AWS = "*" }
        Action    = ["kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyPair", "kms:GenerateDataKeyPairWithoutPlaintext", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo"]
        Resource  = "*"
        Condition = {
          StringLike   = { "kms:EncryptionContext:SecretARN" = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:pg-ephemeral/*" }
          ArnNotEquals = { "aws:PrincipalArn" = "arn:aws:iam::111122223333:role/pg-ephemeral-broker" }
        }
      }
      NoDecryptOfOthersSecrets = {
        Sid       = "NoDecryptOfOthersSecrets"
        Effect    = "Deny"
        Principal = { AWS = "*" }
        Action    = "kms:Decrypt"
        Resource  = "*"
        Condition = {
          StringLike    = { "kms:EncryptionContext:SecretARN" = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:pg-ephemeral/*" }
          StringNotLike = { "kms:EncryptionContext:SecretARN" = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:pg-ephemeral/$${aws:PrincipalTag/email}/*" }
          ArnNotEquals  = { "aws:PrincipalArn" = "arn:aws:iam::111122223333:role/pg-ephemeral-broker" }
        }
      }
      NoDecryptWithoutRequesterTag = {
        Sid       = "NoDecryptWithoutRequesterTag"
        Effect    = "Deny"
        Principal = { AWS = "*" }
        Action    = "kms:Decrypt"
        Resource  = "*"
        Condition = {
          StringLike   = { "kms:EncryptionContext:SecretARN" = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:pg-ephemeral/*" }
          Null         = { "aws:PrincipalTag/email" = "true" }
          ArnNotEquals = { "aws:PrincipalArn" = "arn:aws:iam::111122223333:role/pg-ephemeral-broker" }
        }
      }
      NoDecryptWithWildcardTag = {
        Sid       = "NoDecryptWithWildcardTag"
        Effect    = "Deny"
        Principal = { AWS = "*" }
        Action    = "kms:Decrypt"
        Resource  = "*"
        Condition = {
          StringLike = {
            "kms:EncryptionContext:SecretARN" = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:pg-ephemeral/*"
            "aws:PrincipalTag/email"          = ["*$${*}*", "*$${?}*"]
          }
          ArnNotEquals = { "aws:PrincipalArn" = "arn:aws:iam::111122223333:role/pg-ephemeral-broker" }
        }
      }
    }
    error_message = "The key policy's denies (only the broker encrypts under the prefix; no one else decrypts another's secret, an untagged session or a wildcard tag) changed."
  }

  assert {
    # No Allow may name "*" as principal or leave out the ViaService check.
    condition = alltrue([
      for s in jsondecode(aws_kms_key.issued_secrets.policy).Statement :
      !contains(flatten([s.Principal.AWS]), "*") if s.Effect == "Allow"
    ])
    error_message = "No Allow statement of the key policy may name \"*\" as principal."
  }
}

run "requester_fence_is_required" {
  command = plan

  variables {
    requester_principal_arn_patterns = []
  }

  expect_failures = [aws_kms_key.issued_secrets]
}

run "requester_fence_cannot_admit_every_role" {
  command = plan

  variables {
    requester_principal_arn_patterns = ["arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/*"]
  }

  expect_failures = [var.requester_principal_arn_patterns]
}

run "requester_fence_cannot_admit_every_permission_set" {
  command = plan

  variables {
    requester_principal_arn_patterns = ["arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_*"]
  }

  expect_failures = [var.requester_principal_arn_patterns]
}

run "requester_fence_can_be_waived_explicitly" {
  variables {
    requester_principal_arn_patterns = []
    allow_unfenced_requesters        = true
  }

  assert {
    condition = !contains(keys(one([
      for s in jsondecode(aws_kms_key.issued_secrets.policy).Statement : s.Condition if s.Sid == "RequestersDecryptOwnSecrets"
    ])), "ArnLike")
    error_message = "allow_unfenced_requesters must drop the principal ARN condition (and nothing else)."
  }
}

run "with_a_deploy_role_only_broker_and_deployer_use_the_bot_secret_key" {
  variables {
    deploy_role_arn = "arn:aws:iam::111122223333:role/terraform-deploy"
  }

  assert {
    condition = one([
      for s in jsondecode(aws_kms_key.issued_secrets.policy).Statement : s if s.Sid == "OnlyBrokerAndDeployerUseBotSecret"
      ]) == {
      Sid       = "OnlyBrokerAndDeployerUseBotSecret"
      Effect    = "Deny"
      Principal = { AWS = "*" }
      Action    = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyPair", "kms:GenerateDataKeyPairWithoutPlaintext", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo"]
      Resource  = "*"
      Condition = {
        StringLike   = { "kms:EncryptionContext:SecretARN" = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:pg-ephemeral-bot/db-password-??????" }
        ArnNotEquals = { "aws:PrincipalArn" = ["arn:aws:iam::111122223333:role/pg-ephemeral-broker", "arn:aws:iam::111122223333:role/terraform-deploy"] }
      }
    }
    error_message = "With deploy_role_arn, no one but the broker and the deploy role may use the key for the bot secret."
  }

  assert {
    condition     = one([for s in jsondecode(aws_kms_key.issued_secrets.policy).Statement : s.Principal.AWS if s.Sid == "OperatorsSetBotPassword"]) == ["arn:aws:iam::111122223333:role/terraform-deploy"]
    error_message = "With deploy_role_arn, only the deploy role stores the bot password."
  }
}

run "function_is_encrypted_with_its_own_key" {
  assert {
    condition     = aws_lambda_function.broker.kms_key_arn == "arn:aws:kms:eu-west-1:111122223333:key/0d1e2f3a-0000-4000-8000-000000000002"
    error_message = "The function (environment and SnapStart snapshots, which can hold the bot password) must use the module's customer-managed function key."
  }

  assert {
    condition = jsondecode(aws_kms_key.function.policy).Statement[1] == {
      Sid       = "DeployerConfiguresFunctionEncryption"
      Effect    = "Allow"
      Principal = { AWS = ["arn:aws:iam::111122223333:root"] }
      Action    = ["kms:CreateGrant", "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
      Resource  = "*"
      Condition = { StringEquals = { "kms:ViaService" = "lambda.eu-west-1.amazonaws.com", "kms:CallerAccount" = "111122223333" } }
    }
    error_message = "The function key may be used only through Lambda, from this account, by the deploying principal."
  }

  assert {
    condition     = length(jsondecode(aws_kms_key.function.policy).Statement) == 2 && jsondecode(aws_kms_key.function.policy).Statement[0].Sid == "KeyAdministration"
    error_message = "The function key policy has exactly the administration and the Lambda statement."
  }
}

run "sym_may_only_invoke_the_alias" {
  assert {
    condition     = aws_iam_role.sym_invoker[0].path == "/sym/"
    error_message = "Sym's runtime connector can only assume roles under /sym/."
  }

  assert {
    # As Sym's own lambda connector: trusted by the runtime role only, no
    # external ID unless the operator sets one.
    condition = jsondecode(aws_iam_role.sym_invoker[0].assume_role_policy).Statement == [{
      Sid       = "SymRuntimeAssumesRole"
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::111122223333:role/sym/SymRuntimeProd" }
      Action    = "sts:AssumeRole"
    }]
    error_message = "Only the Sym runtime connector role may assume the invoker role."
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
      cloud      = "aws"
      region     = "eu-west-1"
      account_id = "111122223333"
      role_arn   = "arn:aws:iam::111122223333:role/sym/pg-ephemeral-sym-invoker"
    }
    error_message = "sym_integration_settings must describe the invoker role for infra/sym, like Sym's lambda connector."
  }
}

run "sym_external_id_is_enforced_when_set" {
  variables {
    sym_external_id = "0b7b3c3e-6a1f-4c55-9d7e-1d2f3a4b5c6d"
  }

  assert {
    condition     = jsondecode(aws_iam_role.sym_invoker[0].assume_role_policy).Statement[0].Condition == { StringEquals = { "sts:ExternalId" = "0b7b3c3e-6a1f-4c55-9d7e-1d2f3a4b5c6d" } }
    error_message = "A configured external ID must be required by the trust policy."
  }

  assert {
    condition     = output.sym_integration_settings.external_id == "0b7b3c3e-6a1f-4c55-9d7e-1d2f3a4b5c6d"
    error_message = "A configured external ID must reach the Sym integration settings."
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
    bot_secret_arn         = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:app/ephemeral-bot-XyZ789"
    bot_secret_kms_key_arn = "arn:aws:kms:eu-west-1:111122223333:key/99999999-0000-4000-8000-000000000009"
  }

  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.broker.policy).Statement : s.Resource if s.Sid == "ReadBotPassword"
    ]) == "arn:aws:secretsmanager:eu-west-1:111122223333:secret:app/ephemeral-bot-XyZ789"
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

run "rds_master_secret_is_refused_as_bot_secret" {
  command = plan

  variables {
    create_bot_secret = false
    bot_secret_arn    = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:rds!db-1234-XyZ789"
  }

  expect_failures = [var.bot_secret_arn]
}
