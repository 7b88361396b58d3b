# The invocation fence (outputs invocation_fence_policy_json and
# invocation_fence_boundary_json): every statement is pinned, so removing an
# action, adding an exempt principal or dropping a resource fails.

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

override_resource {
  target = aws_kms_key.function
  values = { arn = "arn:aws:kms:eu-west-1:111122223333:key/0d1e2f3a-0000-4000-8000-000000000002" }
}

override_resource {
  target = aws_scheduler_schedule.sweep
  values = { arn = "arn:aws:scheduler:eu-west-1:111122223333:schedule/pg-ephemeral/pg-ephemeral-sweep" }
}

variables {
  package_s3_bucket                          = "artifacts-example"
  package_s3_key                             = "pg-ephemeral/pg-ephemeral.jar"
  db_url                                     = "jdbc:postgresql://db.internal:5432/app?sslmode=verify-full"
  db_user                                    = "ephemeral_bot"
  targets                                    = { readonly = ["readonly"] }
  vpc_id                                     = "vpc-0123456789abcdef0"
  subnet_ids                                 = ["subnet-0aaa"]
  database_security_group_ids                = ["sg-0db"]
  secretsmanager_endpoint_security_group_ids = ["sg-0vpce"]
  sym_runtime_role_arn                       = "arn:aws:iam::111122223333:role/sym/SymRuntimeProd"
  deploy_role_arn                            = "arn:aws:iam::111122223333:role/terraform-deploy"
  requester_principal_arn_patterns           = ["arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_PgEphemeralRequester_????????????????"]
}

run "fence_denies_everyone_but_the_named_principals" {
  assert {
    condition = jsondecode(output.invocation_fence_policy_json) == {
      Version = "2012-10-17"
      Statement = [
        {
          Sid       = "PgEphemeralInvokeOnlyBySymSchedulerDeployer"
          Effect    = "Deny"
          Action    = ["lambda:InvokeFunction", "lambda:InvokeAsync"]
          Resource  = ["arn:aws:lambda:eu-west-1:111122223333:function:pg-ephemeral", "arn:aws:lambda:eu-west-1:111122223333:function:pg-ephemeral:*"]
          Condition = { ArnNotEquals = { "aws:PrincipalArn" = ["arn:aws:iam::111122223333:role/sym/pg-ephemeral-sym-invoker", "arn:aws:iam::111122223333:role/pg-ephemeral-sweep-scheduler", "arn:aws:iam::111122223333:role/terraform-deploy"] } }
        },
        {
          Sid       = "PgEphemeralFunctionChangedOnlyByDeployer"
          Effect    = "Deny"
          Action    = ["lambda:Update*", "lambda:PublishVersion", "lambda:*Alias*", "lambda:AddPermission", "lambda:RemovePermission", "lambda:Put*", "lambda:Delete*", "lambda:CreateFunctionUrlConfig"]
          Resource  = ["arn:aws:lambda:eu-west-1:111122223333:function:pg-ephemeral", "arn:aws:lambda:eu-west-1:111122223333:function:pg-ephemeral:*"]
          Condition = { ArnNotEquals = { "aws:PrincipalArn" = "arn:aws:iam::111122223333:role/terraform-deploy" } }
        },
        {
          Sid      = "PgEphemeralEventSourcesOnlyByDeployer"
          Effect   = "Deny"
          Action   = ["lambda:CreateEventSourceMapping", "lambda:UpdateEventSourceMapping"]
          Resource = "*"
          Condition = {
            ArnNotEquals = { "aws:PrincipalArn" = "arn:aws:iam::111122223333:role/terraform-deploy" }
            ArnLike      = { "lambda:FunctionArn" = ["arn:aws:lambda:eu-west-1:111122223333:function:pg-ephemeral", "arn:aws:lambda:eu-west-1:111122223333:function:pg-ephemeral:*"] }
          }
        },
        {
          Sid       = "PgEphemeralRolesPassedOnlyByDeployer"
          Effect    = "Deny"
          Action    = "iam:PassRole"
          Resource  = ["arn:aws:iam::111122223333:role/pg-ephemeral-broker", "arn:aws:iam::111122223333:role/pg-ephemeral-sweep-scheduler"]
          Condition = { ArnNotEquals = { "aws:PrincipalArn" = "arn:aws:iam::111122223333:role/terraform-deploy" } }
        },
        {
          Sid       = "PgEphemeralRolesChangedOnlyByDeployer"
          Effect    = "Deny"
          Action    = ["iam:AttachRolePolicy", "iam:DeleteRole", "iam:DeleteRolePermissionsBoundary", "iam:DeleteRolePolicy", "iam:DetachRolePolicy", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:UpdateRole"]
          Resource  = ["arn:aws:iam::111122223333:role/pg-ephemeral-broker", "arn:aws:iam::111122223333:role/pg-ephemeral-sweep-scheduler", "arn:aws:iam::111122223333:role/sym/pg-ephemeral-sym-invoker"]
          Condition = { ArnNotEquals = { "aws:PrincipalArn" = "arn:aws:iam::111122223333:role/terraform-deploy" } }
        },
        {
          Sid       = "PgEphemeralKeysChangedOnlyByDeployer"
          Effect    = "Deny"
          Action    = ["kms:PutKeyPolicy", "kms:CreateGrant", "kms:ScheduleKeyDeletion", "kms:DisableKey"]
          Resource  = ["arn:aws:kms:eu-west-1:111122223333:key/0d1e2f3a-0000-4000-8000-000000000001", "arn:aws:kms:eu-west-1:111122223333:key/0d1e2f3a-0000-4000-8000-000000000002"]
          Condition = { ArnNotEquals = { "aws:PrincipalArn" = "arn:aws:iam::111122223333:role/terraform-deploy" } }
        },
        {
          Sid       = "PgEphemeralBotPasswordReadOnlyByBroker"
          Effect    = "Deny"
          Action    = "secretsmanager:GetSecretValue"
          Resource  = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:pg-ephemeral-bot/db-password-AbC123"
          Condition = { ArnNotEquals = { "aws:PrincipalArn" = "arn:aws:iam::111122223333:role/pg-ephemeral-broker" } }
        },
        {
          Sid       = "PgEphemeralBotPasswordWrittenOnlyByDeployer"
          Effect    = "Deny"
          Action    = ["secretsmanager:PutSecretValue", "secretsmanager:UpdateSecret", "secretsmanager:DeleteSecret", "secretsmanager:PutResourcePolicy"]
          Resource  = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:pg-ephemeral-bot/db-password-AbC123"
          Condition = { ArnNotEquals = { "aws:PrincipalArn" = "arn:aws:iam::111122223333:role/terraform-deploy" } }
        },
        {
          Sid      = "PgEphemeralCreationTagAndPoliciesOnlyByBroker"
          Effect   = "Deny"
          Action   = ["secretsmanager:CreateSecret", "secretsmanager:TagResource"]
          Resource = "*"
          Condition = {
            "ForAnyValue:StringEquals" = { "aws:TagKeys" = ["pg-ephemeral:created-by"] }
            ArnNotEquals               = { "aws:PrincipalArn" = "arn:aws:iam::111122223333:role/pg-ephemeral-broker" }
          }
        },
        {
          Sid       = "PgEphemeralIssuedSecretsGetNoPolicy"
          Effect    = "Deny"
          Action    = "secretsmanager:PutResourcePolicy"
          Resource  = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:pg-ephemeral/*"
          Condition = { ArnNotEquals = { "aws:PrincipalArn" = "arn:aws:iam::111122223333:role/pg-ephemeral-broker" } }
        },
        {
          Sid       = "PgEphemeralScheduleChangedOnlyByDeployer"
          Effect    = "Deny"
          Action    = ["scheduler:UpdateSchedule", "scheduler:DeleteSchedule", "scheduler:DeleteScheduleGroup"]
          Resource  = ["arn:aws:scheduler:eu-west-1:111122223333:schedule/pg-ephemeral/pg-ephemeral-sweep", "arn:aws:scheduler:eu-west-1:111122223333:schedule-group/pg-ephemeral"]
          Condition = { ArnNotEquals = { "aws:PrincipalArn" = "arn:aws:iam::111122223333:role/terraform-deploy" } }
        },
      ]
    }
    error_message = "The invocation fence changed: every statement, action, resource and exempt principal is reviewed (see docs/threat-model-deployment.md)."
  }

  assert {
    # Properties that must hold whatever the exact text: deny only, and
    # nobody exempt from invocation but Sym's invoker, the scheduler and the
    # deploy role.
    condition = alltrue([
      for s in jsondecode(output.invocation_fence_policy_json).Statement :
      s.Effect == "Deny" && !contains(keys(s), "NotAction") && !contains(keys(s), "NotResource") && !contains(keys(s), "Principal")
    ])
    error_message = "The fence must consist of plain Deny statements (no NotAction/NotResource, no Principal: an SCP has none)."
  }

  assert {
    # AWS Organizations caps a service control policy at 5,120 characters.
    condition     = length(output.invocation_fence_policy_json) <= 5120
    error_message = "The fence no longer fits in a service control policy (5,120 characters)."
  }

  assert {
    condition = jsondecode(output.invocation_fence_boundary_json).Statement == concat(
      [{ Sid = "BoundaryAllowsWhatIdentityPoliciesAllow", Effect = "Allow", Action = "*", Resource = "*" }],
      jsondecode(output.invocation_fence_policy_json).Statement,
    )
    error_message = "The boundary form must be the same denies plus one Allow-all statement."
  }
}

run "fence_without_sym_exempts_only_scheduler_and_deployer" {
  variables {
    sym_runtime_role_arn = null
  }

  assert {
    condition     = jsondecode(output.invocation_fence_policy_json).Statement[0].Condition.ArnNotEquals["aws:PrincipalArn"] == ["arn:aws:iam::111122223333:role/pg-ephemeral-sweep-scheduler", "arn:aws:iam::111122223333:role/terraform-deploy"]
    error_message = "Without a Sym invoker role, only the scheduler and the deploy role may invoke."
  }
}

run "no_fence_without_a_deploy_role" {
  variables {
    deploy_role_arn = null
  }

  assert {
    # A fence with no exempt deployer would lock out the next apply.
    condition     = output.invocation_fence_policy_json == null && output.invocation_fence_boundary_json == null
    error_message = "Without deploy_role_arn there is no fence output."
  }
}
