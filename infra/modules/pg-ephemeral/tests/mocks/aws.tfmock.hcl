# Fixed values for the mocked AWS provider, so that ARNs in policies are
# predictable and the tests can compare them exactly. No AWS API is called.

mock_data "aws_caller_identity" {
  defaults = {
    account_id = "111122223333"
    arn        = "arn:aws:iam::111122223333:user/terraform"
    user_id    = "AIDAEXAMPLE"
  }
}

mock_data "aws_partition" {
  defaults = {
    partition          = "aws"
    dns_suffix         = "amazonaws.com"
    reverse_dns_prefix = "com.amazonaws"
  }
}

mock_data "aws_region" {
  defaults = {
    name = "eu-west-1"
  }
}

mock_resource "aws_kms_key" {
  defaults = {
    arn    = "arn:aws:kms:eu-west-1:111122223333:key/0d1e2f3a-0000-4000-8000-000000000001"
    key_id = "0d1e2f3a-0000-4000-8000-000000000001"
  }
}

mock_resource "aws_lambda_function" {
  defaults = {
    arn     = "arn:aws:lambda:eu-west-1:111122223333:function:pg-ephemeral"
    version = "3"
  }
}

mock_resource "aws_lambda_alias" {
  defaults = {
    arn = "arn:aws:lambda:eu-west-1:111122223333:function:pg-ephemeral:live"
  }
}

mock_resource "aws_sqs_queue" {
  defaults = {
    arn = "arn:aws:sqs:eu-west-1:111122223333:pg-ephemeral-sweep-dlq"
    url = "https://sqs.eu-west-1.amazonaws.com/111122223333/pg-ephemeral-sweep-dlq"
  }
}

mock_resource "aws_secretsmanager_secret" {
  defaults = {
    arn = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:pg-ephemeral-bot/db-password-AbC123"
  }
}

mock_resource "aws_security_group" {
  defaults = {
    id  = "sg-0b0b0b0b0b0b0b0b0"
    arn = "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0b0b0b0b0b0b0b0b0"
  }
}

mock_resource "aws_cloudwatch_log_group" {
  defaults = {
    arn = "arn:aws:logs:eu-west-1:111122223333:log-group:/aws/lambda/pg-ephemeral"
  }
}

mock_resource "aws_iam_role" {
  defaults = {
    arn = "arn:aws:iam::111122223333:role/mocked"
  }
}

mock_resource "aws_iam_policy" {
  defaults = {
    arn = "arn:aws:iam::111122223333:policy/pg-ephemeral-requester"
  }
}
