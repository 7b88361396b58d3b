###############################################################################
# Invocation fence: deny statements for a service control policy (or, with an
# Allow-all statement, a permissions boundary) that keep every other principal
# of the account away from the broker.
#
# Why: anyone who may lambda:InvokeFunction on "*" (common in developer roles)
# could otherwise send a made-up escalate naming themselves and receive a
# login, or a made-up deescalate ending someone else's access; anyone who may
# update the function, move its alias, pass its role, rewrite the roles' or
# keys' policies, or read the bot secret gets the bot's credential. The module
# cannot attach this itself: an SCP belongs to AWS Organizations, a boundary
# to each principal it limits. tests/fence.tftest.hcl pins every statement.
###############################################################################

locals {
  function_arns = [aws_lambda_function.broker.arn, "${aws_lambda_function.broker.arn}:*"]

  # Who may invoke: Sym (through the invoker role), the sweep schedule, and
  # the deploy role (which can change the code anyway).
  fence_invokers = compact([
    var.sym_runtime_role_arn == null ? "" : aws_iam_role.sym_invoker[0].arn,
    aws_iam_role.scheduler.arn,
    coalesce(var.deploy_role_arn, "-"),
  ])

  module_role_arns = compact([
    aws_iam_role.broker.arn,
    aws_iam_role.scheduler.arn,
    var.sym_runtime_role_arn == null ? "" : aws_iam_role.sym_invoker[0].arn,
  ])

  except_deployer = { ArnNotEquals = { "aws:PrincipalArn" = var.deploy_role_arn } }

  # (Empty without a deploy role: a fence with no exception would lock out
  # the deployer too.)
  fence_statements = [for statement in [
    {
      Sid       = "PgEphemeralInvokeOnlyBySymSchedulerDeployer"
      Effect    = "Deny"
      Action    = ["lambda:InvokeFunction", "lambda:InvokeAsync"]
      Resource  = local.function_arns
      Condition = { ArnNotEquals = { "aws:PrincipalArn" = local.fence_invokers } }
    },
    {
      # Code, configuration, versions, aliases, resource policy (a new
      # aws_lambda_permission), function URLs, concurrency, destinations.
      Sid    = "PgEphemeralFunctionChangedOnlyByDeployer"
      Effect = "Deny"
      Action = [
        "lambda:Update*",
        "lambda:PublishVersion",
        "lambda:*Alias*",
        "lambda:AddPermission",
        "lambda:RemovePermission",
        "lambda:Put*",
        "lambda:Delete*",
        "lambda:CreateFunctionUrlConfig",
      ]
      Resource  = local.function_arns
      Condition = local.except_deployer
    },
    {
      # An event source mapping makes Lambda invoke the function with
      # messages from a queue or stream the creator controls.
      Sid      = "PgEphemeralEventSourcesOnlyByDeployer"
      Effect   = "Deny"
      Action   = ["lambda:CreateEventSourceMapping", "lambda:UpdateEventSourceMapping"]
      Resource = "*"
      Condition = merge(local.except_deployer, {
        ArnLike = { "lambda:FunctionArn" = local.function_arns }
      })
    },
    {
      # Passing the broker role to another function (or the scheduler role
      # to another schedule) would run attacker code or input as them.
      Sid       = "PgEphemeralRolesPassedOnlyByDeployer"
      Effect    = "Deny"
      Action    = "iam:PassRole"
      Resource  = [aws_iam_role.broker.arn, aws_iam_role.scheduler.arn]
      Condition = local.except_deployer
    },
    {
      # Rewriting a trust policy or adding a policy to one of the module's
      # roles would let the writer act as the broker, Sym or the scheduler.
      Sid    = "PgEphemeralRolesChangedOnlyByDeployer"
      Effect = "Deny"
      Action = [
        "iam:AttachRolePolicy",
        "iam:DeleteRole",
        "iam:DeleteRolePermissionsBoundary",
        "iam:DeleteRolePolicy",
        "iam:DetachRolePolicy",
        "iam:PutRolePermissionsBoundary",
        "iam:PutRolePolicy",
        "iam:UpdateAssumeRolePolicy",
        "iam:UpdateRole",
      ]
      Resource  = local.module_role_arns
      Condition = local.except_deployer
    },
    {
      # The key policies are what keeps admins out of issued secrets; a
      # grant would bypass them.
      Sid       = "PgEphemeralKeysChangedOnlyByDeployer"
      Effect    = "Deny"
      Action    = ["kms:PutKeyPolicy", "kms:CreateGrant", "kms:ScheduleKeyDeletion", "kms:DisableKey"]
      Resource  = [aws_kms_key.issued_secrets.arn, aws_kms_key.function.arn]
      Condition = local.except_deployer
    },
    {
      Sid       = "PgEphemeralBotPasswordReadOnlyByBroker"
      Effect    = "Deny"
      Action    = "secretsmanager:GetSecretValue"
      Resource  = local.bot_secret_arn
      Condition = { ArnNotEquals = { "aws:PrincipalArn" = aws_iam_role.broker.arn } }
    },
    {
      Sid       = "PgEphemeralBotPasswordWrittenOnlyByDeployer"
      Effect    = "Deny"
      Action    = ["secretsmanager:PutSecretValue", "secretsmanager:UpdateSecret", "secretsmanager:DeleteSecret", "secretsmanager:PutResourcePolicy"]
      Resource  = local.bot_secret_arn
      Condition = local.except_deployer
    },
    {
      # The broker writes a password only into a secret that carries its
      # creation tag (and has no resource policy): nobody else may set that
      # tag, so a secret squatted under a requester's name never qualifies,
      # nor give one of the broker's secrets a policy.
      Sid      = "PgEphemeralCreationTagAndPoliciesOnlyByBroker"
      Effect   = "Deny"
      Action   = ["secretsmanager:CreateSecret", "secretsmanager:TagResource"]
      Resource = "*"
      Condition = {
        "ForAnyValue:StringEquals" = { "aws:TagKeys" = ["pg-ephemeral:created-by"] }
        ArnNotEquals               = { "aws:PrincipalArn" = aws_iam_role.broker.arn }
      }
    },
    {
      Sid       = "PgEphemeralIssuedSecretsGetNoPolicy"
      Effect    = "Deny"
      Action    = "secretsmanager:PutResourcePolicy"
      Resource  = local.issued_secret_arn_pattern
      Condition = { ArnNotEquals = { "aws:PrincipalArn" = aws_iam_role.broker.arn } }
    },
    {
      # A changed schedule could send an escalate event as the scheduler
      # role; a deleted one stops the sweeps.
      Sid       = "PgEphemeralScheduleChangedOnlyByDeployer"
      Effect    = "Deny"
      Action    = ["scheduler:UpdateSchedule", "scheduler:DeleteSchedule", "scheduler:DeleteScheduleGroup"]
      Resource  = [aws_scheduler_schedule.sweep.arn, local.scheduler_group_arn]
      Condition = local.except_deployer
    },
  ] : statement if var.deploy_role_arn != null]
}

output "invocation_fence_policy_json" {
  description = "Service control policy (deny statements only) fencing the broker: only the Sym invoker, the scheduler and deploy_role_arn may invoke it; only deploy_role_arn may change the function, its roles, keys, bot secret or schedule; only the broker reads the bot secret. Attach it to the broker's account (AWS Organizations). null when deploy_role_arn is not set."
  value = var.deploy_role_arn == null ? null : jsonencode({
    Version   = "2012-10-17"
    Statement = local.fence_statements
  })
}

output "invocation_fence_boundary_json" {
  description = "The same deny statements plus an Allow-all statement, for use as a permissions boundary on every human and CI role of the account when SCPs are not available. null when deploy_role_arn is not set."
  value = var.deploy_role_arn == null ? null : jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [{ Sid = "BoundaryAllowsWhatIdentityPoliciesAllow", Effect = "Allow", Action = "*", Resource = "*" }],
      local.fence_statements,
    )
  })
}
