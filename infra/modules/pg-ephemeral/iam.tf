###############################################################################
# IAM and KMS policies.
#
# Policies are built with jsonencode() from plain values rather than with
# aws_iam_policy_document, so their exact content is known at plan time and
# tests/*.tftest.hcl can assert on it.
#
# "*" appears as a Resource only where AWS requires it:
#   1. every statement of a KMS key policy: in a key policy "*" means "this
#      key" and is the only accepted value;
#   2. ec2:DescribeNetworkInterfaces and ec2:DescribeSubnets, which do not
#      support resource-level permissions, and ec2:CreateNetworkInterface,
#      which Lambda validates at function creation in the documented "*" form;
#   3. the fence's lambda:CreateEventSourceMapping deny (no resource type;
#      narrowed by lambda:FunctionArn).
# tests/policies.tftest.hcl fails if any other statement uses "*".
###############################################################################

locals {
  account_root_arn = "arn:${local.partition}:iam::${local.account_id}:root"

  # Tag keys the broker writes on issued secrets; all of them share this prefix.
  tag_key_pattern = "pg-ephemeral:*"
  requester_tag   = "pg-ephemeral:requester"

  # Literal IAM policy variable (the $$ keeps Terraform from interpolating it).
  requester_identity = "$${aws:PrincipalTag/${var.requester_principal_tag}}"

  # ARN pattern of the created bot secret, by name: referring to the secret's
  # ARN here would be a cycle (the secret is encrypted with the key whose
  # policy this is). "?" matches exactly one character of the random suffix.
  bot_secret_arn_pattern = "arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:${local.bot_secret_name}-??????"

  ec2_arn_prefix = "arn:${local.partition}:ec2:${local.region}:${local.account_id}"

  scheduler_group_arn = "arn:${local.partition}:scheduler:${local.region}:${local.account_id}:schedule-group/${var.name}"

  # Conditions shared by every KMS grant: only through Secrets Manager, and
  # only for callers from this account.
  via_secretsmanager = {
    "kms:ViaService"    = local.secretsmanager_service
    "kms:CallerAccount" = local.account_id
  }

  # Management only: none of these can encrypt or decrypt (no CreateGrant
  # either, which could hand out use of the key).
  kms_admin_actions = [
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListKeyRotations",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:RevokeGrant",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
  ]

  # Everything that produces ciphertext under a key.
  kms_encrypt_actions = [
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyPair",
    "kms:GenerateDataKeyPairWithoutPlaintext",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
  ]

  # The secrets a requester may decrypt: <prefix><their own tag>/<target>.
  own_secret_arn_pattern = "arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:${var.secret_prefix}${local.requester_identity}/*"

  # Who runs Terraform: the named deploy role, else the account (IAM decides).
  deployers = var.deploy_role_arn == null ? [local.account_root_arn] : [var.deploy_role_arn]

  ###########################################################################
  # Execution role of the function
  ###########################################################################

  broker_policy = {
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          # Create only inside the prefix (checked twice: the name in the
          # request and the resulting ARN), only with this module's key, and
          # only with the requester tag present, so no issued secret can
          # exist that its owner's ABAC policy does not cover.
          Sid      = "CreateIssuedSecrets"
          Effect   = "Allow"
          Action   = "secretsmanager:CreateSecret"
          Resource = local.issued_secret_arn_pattern
          Condition = {
            StringLike = {
              "secretsmanager:Name" = "${var.secret_prefix}*"
            }
            StringEquals = {
              "secretsmanager:KmsKeyId" = aws_kms_key.issued_secrets.arn
            }
            Null = {
              "aws:RequestTag/${local.requester_tag}" = "false"
            }
            "ForAllValues:StringLike" = {
              "aws:TagKeys" = [local.tag_key_pattern]
            }
          }
        },
        {
          # CreateSecret with Tags also needs TagResource. The broker may only
          # touch its own pg-ephemeral:* tags.
          Sid      = "TagIssuedSecrets"
          Effect   = "Allow"
          Action   = ["secretsmanager:TagResource", "secretsmanager:UntagResource"]
          Resource = local.issued_secret_arn_pattern
          Condition = {
            "ForAllValues:StringLike" = {
              "aws:TagKeys" = [local.tag_key_pattern]
            }
          }
        },
        {
          # No tag condition here on purpose: DescribeSecret/DeleteSecret on a
          # secret that is already gone must return ResourceNotFound (which
          # the broker treats as done), not AccessDenied.
          # UpdateSecretVersionStage undoes a failed replacement (AWSCURRENT back
          # to the value it replaced); GetResourcePolicy is how the broker
          # refuses to write into a secret someone else made under the prefix.
          Sid    = "ManageIssuedSecrets"
          Effect = "Allow"
          Action = ["secretsmanager:PutSecretValue", "secretsmanager:DescribeSecret", "secretsmanager:DeleteSecret",
          "secretsmanager:UpdateSecretVersionStage", "secretsmanager:GetResourcePolicy"]
          Resource = local.issued_secret_arn_pattern
        },
        {
          # The sweep lists the broker's secrets to remove those that hold no
          # open credential. ListSecrets has no resource-level permissions.
          Sid      = "ListIssuedSecrets"
          Effect   = "Allow"
          Action   = "secretsmanager:ListSecrets"
          Resource = "*"
        },
        {
          # The only secret the broker ever reads.
          Sid      = "ReadBotPassword"
          Effect   = "Allow"
          Action   = "secretsmanager:GetSecretValue"
          Resource = local.bot_secret_arn
        },
        {
          # Failed asynchronous invocations (sweeps) go to the dead-letter
          # queue through the alias's on-failure destination.
          Sid      = "RecordFailedSweeps"
          Effect   = "Allow"
          Action   = "sqs:SendMessage"
          Resource = aws_sqs_queue.sweep_dlq.arn
        },
        {
          Sid      = "WriteOwnLogs"
          Effect   = "Allow"
          Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
          Resource = "${aws_cloudwatch_log_group.broker.arn}:*"
        },
        {
          # Lambda checks these ENI permissions when it creates the function,
          # before any ENI or request exists; AWS documents them (and its
          # managed AWSLambdaVPCAccessExecutionRole grants them) on "*", and
          # a role scoped to subnet/security-group ARNs can fail that check on
          # first deploy. The subnets and groups are instead fixed by the
          # function's configuration, which the invocation fence lets only the
          # deploy role change. Only Lambda, and code in the function, ever
          # hold this role's credentials.
          Sid      = "CreateFunctionEnis"
          Effect   = "Allow"
          Action   = "ec2:CreateNetworkInterface"
          Resource = "*"
        },
        {
          # ENI IDs are not known in advance; Lambda's documentation asks for
          # all ENIs of the account and region here.
          Sid      = "ManageFunctionEnis"
          Effect   = "Allow"
          Action   = ["ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"]
          Resource = "${local.ec2_arn_prefix}:network-interface/*"
        },
        {
          # AWS requires "*": these Describe actions have no resource-level
          # permissions.
          Sid      = "DescribeNetworkForEnis"
          Effect   = "Allow"
          Action   = ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"]
          Resource = "*"
        },
      ],
      # An existing bot secret encrypted with its own customer-managed key.
      # (The created bot secret uses this module's key, whose key policy
      # grants the broker directly.)
      [for statement in [
        {
          Sid      = "DecryptBotPassword"
          Effect   = "Allow"
          Action   = "kms:Decrypt"
          Resource = var.bot_secret_kms_key_arn
          Condition = {
            StringEquals = {
              "kms:ViaService" = local.secretsmanager_service
            }
          }
        },
      ] : statement if !var.create_bot_secret && var.bot_secret_kms_key_arn != null],
    )
  }

  ###########################################################################
  # KMS key policy
  ###########################################################################

  kms_key_administrators = length(var.kms_key_administrator_arns) > 0 ? var.kms_key_administrator_arns : [local.account_root_arn]

  kms_key_policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          # Management only: none of these actions can encrypt or decrypt
          # (no CreateGrant either, which could hand out use of the key).
          # The principal running Terraform must be covered, or KMS refuses
          # the policy (lock-out safety check).
          Sid       = "KeyAdministration"
          Effect    = "Allow"
          Principal = { AWS = local.kms_key_administrators }
          Action    = local.kms_admin_actions
          Resource  = "*"
        },
        {
          # The broker encrypts new secret values (GenerateDataKey) and
          # Secrets Manager also asks for Decrypt when writing; only through
          # Secrets Manager and only for secrets inside the prefix.
          Sid       = "BrokerEncryptsIssuedSecrets"
          Effect    = "Allow"
          Principal = { AWS = aws_iam_role.broker.arn }
          Action    = ["kms:GenerateDataKey", "kms:Decrypt"]
          Resource  = "*"
          Condition = {
            StringEquals = local.via_secretsmanager
            StringLike = {
              "kms:EncryptionContext:SecretARN" = local.issued_secret_arn_pattern
            }
          }
        },
        {
          # Requesters decrypt their own secrets only: the encryption context
          # Secrets Manager sends is the secret's ARN, and it must lie under
          # <prefix><the caller's own principal tag>/. An account admin with
          # kms:Decrypt on "*" therefore reads no one else's credential, and
          # re-tagging a secret does not help either. The account principal
          # delegates to IAM (the caller also needs the requester policy),
          # fenced to the requester permission set's roles by
          # requester_principal_arn_patterns.
          Sid       = "RequestersDecryptOwnSecrets"
          Effect    = "Allow"
          Principal = { AWS = local.account_root_arn }
          Action    = "kms:Decrypt"
          Resource  = "*"
          Condition = merge(
            {
              StringEquals = local.via_secretsmanager
              StringLike = {
                "kms:EncryptionContext:SecretARN" = local.own_secret_arn_pattern
              }
              Null = {
                "aws:PrincipalTag/${var.requester_principal_tag}" = "false"
              }
            },
            {
              for operator, keys in { ArnLike = { "aws:PrincipalArn" = var.requester_principal_arn_patterns } } :
              operator => keys if length(var.requester_principal_arn_patterns) > 0
            },
          )
        },
        {
          # Explicit denies hold even if a later change, a grant or another
          # statement allowed more: nobody but the broker encrypts under the
          # prefix (so no one can plant a look-alike credential there) ...
          Sid       = "OnlyBrokerEncryptsUnderPrefix"
          Effect    = "Deny"
          Principal = { AWS = "*" }
          Action    = local.kms_encrypt_actions
          Resource  = "*"
          Condition = {
            StringLike   = { "kms:EncryptionContext:SecretARN" = local.issued_secret_arn_pattern }
            ArnNotEquals = { "aws:PrincipalArn" = aws_iam_role.broker.arn }
          }
        },
        {
          # ... nobody but the broker decrypts a secret outside their own
          # <prefix><tag>/ ...
          Sid       = "NoDecryptOfOthersSecrets"
          Effect    = "Deny"
          Principal = { AWS = "*" }
          Action    = "kms:Decrypt"
          Resource  = "*"
          Condition = {
            StringLike    = { "kms:EncryptionContext:SecretARN" = local.issued_secret_arn_pattern }
            StringNotLike = { "kms:EncryptionContext:SecretARN" = local.own_secret_arn_pattern }
            ArnNotEquals  = { "aws:PrincipalArn" = aws_iam_role.broker.arn }
          }
        },
        {
          # ... a session without the tag decrypts nothing under the prefix
          # (an unresolved policy variable would make the statement above
          # not apply) ...
          Sid       = "NoDecryptWithoutRequesterTag"
          Effect    = "Deny"
          Principal = { AWS = "*" }
          Action    = "kms:Decrypt"
          Resource  = "*"
          Condition = {
            StringLike   = { "kms:EncryptionContext:SecretARN" = local.issued_secret_arn_pattern }
            Null         = { "aws:PrincipalTag/${var.requester_principal_tag}" = "true" }
            ArnNotEquals = { "aws:PrincipalArn" = aws_iam_role.broker.arn }
          }
        },
        {
          # ... and a tag holding a wildcard ("*", "?") cannot widen the
          # StringLike pattern it is substituted into. $${*} and $${?} are
          # IAM's literal asterisk and question mark.
          Sid       = "NoDecryptWithWildcardTag"
          Effect    = "Deny"
          Principal = { AWS = "*" }
          Action    = "kms:Decrypt"
          Resource  = "*"
          Condition = {
            StringLike = {
              "kms:EncryptionContext:SecretARN"                 = local.issued_secret_arn_pattern
              "aws:PrincipalTag/${var.requester_principal_tag}" = ["*$${*}*", "*$${?}*"]
            }
            ArnNotEquals = { "aws:PrincipalArn" = aws_iam_role.broker.arn }
          }
        },
      ],
      [for statement in [
        {
          Sid       = "BrokerReadsBotPassword"
          Effect    = "Allow"
          Principal = { AWS = aws_iam_role.broker.arn }
          Action    = "kms:Decrypt"
          Resource  = "*"
          Condition = {
            StringEquals = local.via_secretsmanager
            StringLike = {
              "kms:EncryptionContext:SecretARN" = local.bot_secret_arn_pattern
            }
          }
        },
        {
          # Operators store the bot password (Secrets Manager may also ask
          # for Decrypt while writing); limited to that one secret, and to
          # deploy_role_arn when it is set (otherwise delegated to IAM).
          Sid       = "OperatorsSetBotPassword"
          Effect    = "Allow"
          Principal = { AWS = local.deployers }
          Action    = ["kms:GenerateDataKey", "kms:Decrypt"]
          Resource  = "*"
          Condition = {
            StringEquals = local.via_secretsmanager
            StringLike = {
              "kms:EncryptionContext:SecretARN" = local.bot_secret_arn_pattern
            }
          }
        },
      ] : statement if var.create_bot_secret],
      [for statement in [
        {
          # With a named deploy role, nobody else (account admins included)
          # can decrypt or re-encrypt the bot password.
          Sid       = "OnlyBrokerAndDeployerUseBotSecret"
          Effect    = "Deny"
          Principal = { AWS = "*" }
          Action    = concat(["kms:Decrypt"], local.kms_encrypt_actions)
          Resource  = "*"
          Condition = {
            StringLike   = { "kms:EncryptionContext:SecretARN" = local.bot_secret_arn_pattern }
            ArnNotEquals = { "aws:PrincipalArn" = [aws_iam_role.broker.arn, var.deploy_role_arn] }
          }
        },
      ] : statement if var.create_bot_secret && var.deploy_role_arn != null],
    )
  })

  ###########################################################################
  # Function key policy (environment variables, SnapStart snapshots)
  ###########################################################################

  function_key_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "KeyAdministration"
        Effect    = "Allow"
        Principal = { AWS = local.kms_key_administrators }
        Action    = local.kms_admin_actions
        Resource  = "*"
      },
      {
        # Lambda encrypts the environment and snapshots through a grant it
        # creates with the deploying principal's permissions; only via
        # Lambda, only from this account.
        Sid       = "DeployerConfiguresFunctionEncryption"
        Effect    = "Allow"
        Principal = { AWS = local.deployers }
        Action    = ["kms:CreateGrant", "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
        Resource  = "*"
        Condition = {
          StringEquals = {
            "kms:ViaService"    = "lambda.${local.region}.${data.aws_partition.current.dns_suffix}"
            "kms:CallerAccount" = local.account_id
          }
        }
      },
    ]
  })

  ###########################################################################
  # Requesters (attach to Identity Center permission sets or IAM roles)
  ###########################################################################

  requester_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        # ABAC: a secret is readable only by the principal whose session tag
        # equals the secret's pg-ephemeral:requester tag. Case is ignored
        # because identity providers often keep the email's original case
        # while the broker writes it in lower case. The Null check refuses
        # sessions without the tag outright. No ListSecrets: requesters know
        # their secret's name (<prefix><email>/<target>).
        Sid      = "ReadOwnIssuedSecrets"
        Effect   = "Allow"
        Action   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
        Resource = local.issued_secret_arn_pattern
        Condition = {
          StringEqualsIgnoreCase = {
            "secretsmanager:ResourceTag/${local.requester_tag}" = local.requester_identity
          }
          Null = {
            "aws:PrincipalTag/${var.requester_principal_tag}" = "false"
          }
        }
      },
      {
        # Own secrets only, as the key policy (which is what actually
        # decides); the same limit here keeps the two from drifting apart.
        Sid      = "DecryptIssuedSecretsViaSecretsManager"
        Effect   = "Allow"
        Action   = "kms:Decrypt"
        Resource = aws_kms_key.issued_secrets.arn
        Condition = {
          StringEquals = {
            "kms:ViaService" = local.secretsmanager_service
          }
          StringLike = {
            "kms:EncryptionContext:SecretARN" = local.own_secret_arn_pattern
          }
        }
      },
    ]
  }
}

###############################################################################
# Execution role
###############################################################################

resource "aws_iam_role" "broker" {
  name        = "${var.name}-broker"
  description = "Execution role of the pg-ephemeral broker Lambda"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "LambdaAssumesRole"
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "broker" {
  name   = "pg-ephemeral-broker"
  role   = aws_iam_role.broker.id
  policy = jsonencode(local.broker_policy)

  lifecycle {
    precondition {
      condition     = local.bot_secret_arn != null
      error_message = "Set bot_secret_arn when create_bot_secret is false."
    }

    precondition {
      condition     = local.bot_secret_arn == null || !strcontains(coalesce(local.bot_secret_arn, "x"), ":secret:${var.secret_prefix}")
      error_message = "The bot secret must not live under secret_prefix (${var.secret_prefix}): the broker may delete secrets there."
    }
  }
}

###############################################################################
# Scheduler role: invokes the alias, writes the dead-letter queue
###############################################################################

resource "aws_iam_role" "scheduler" {
  name        = "${var.name}-sweep-scheduler"
  description = "Assumed by EventBridge Scheduler to start pg-ephemeral sweeps"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "SchedulerAssumesRole"
      Effect    = "Allow"
      Principal = { Service = "scheduler.amazonaws.com" }
      Action    = "sts:AssumeRole"
      # Confused-deputy protection: only schedules of this module's group.
      Condition = {
        StringEquals = { "aws:SourceAccount" = local.account_id }
        ArnEquals    = { "aws:SourceArn" = local.scheduler_group_arn }
      }
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "scheduler" {
  name = "pg-ephemeral-sweep"
  role = aws_iam_role.scheduler.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "InvokeBrokerAlias"
        Effect   = "Allow"
        Action   = "lambda:InvokeFunction"
        Resource = aws_lambda_alias.live.arn
      },
      {
        Sid      = "WriteDeadLetterQueue"
        Effect   = "Allow"
        Action   = "sqs:SendMessage"
        Resource = aws_sqs_queue.sweep_dlq.arn
      },
    ]
  })
}

###############################################################################
# Sym invoker role (Sym's "Lambda connector")
###############################################################################

resource "aws_iam_role" "sym_invoker" {
  count = var.sym_runtime_role_arn == null ? 0 : 1

  # Sym's runtime connector may only assume roles under /sym/.
  name                 = coalesce(var.sym_invoker_role_name, "${var.name}-sym-invoker")
  path                 = "/sym/"
  description          = "Assumed by the Sym runtime to invoke the pg-ephemeral broker"
  max_session_duration = 3600
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [merge({
      Sid       = "SymRuntimeAssumesRole"
      Effect    = "Allow"
      Principal = { AWS = var.sym_runtime_role_arn }
      Action    = "sts:AssumeRole"
      },
      # Sym's lambda connector trusts the runtime role without an external
      # ID (the ID guards the hop from Sym's account to the runtime role);
      # an ID is required here only when the operator sets one.
      var.sym_external_id == null ? {} : {
        Condition = {
          StringEquals = { "sts:ExternalId" = var.sym_external_id }
        }
    })]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "sym_invoker" {
  count = var.sym_runtime_role_arn == null ? 0 : 1

  name = "pg-ephemeral-invoke"
  role = aws_iam_role.sym_invoker[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      # The alias only: Sym can neither call $LATEST nor another version.
      Sid      = "InvokeBrokerAlias"
      Effect   = "Allow"
      Action   = "lambda:InvokeFunction"
      Resource = aws_lambda_alias.live.arn
    }]
  })
}

###############################################################################
# Requester policy
###############################################################################

resource "aws_iam_policy" "requester" {
  count = var.create_requester_policy ? 1 : 0

  name        = coalesce(var.requester_policy_name, "${var.name}-requester")
  description = "Read own pg-ephemeral database credentials (ABAC on the ${local.requester_tag} tag)"
  policy      = jsonencode(local.requester_policy)
  tags        = var.tags
}
