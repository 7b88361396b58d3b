output "alias_arn" {
  description = "What Sym invokes."
  value       = module.pg_ephemeral.alias_arn
}

output "published_version" {
  description = "Version published by this apply; note it for roll-backs (pinned_version)."
  value       = module.pg_ephemeral.published_version
}

output "bot_secret_arn" {
  description = "Put the bot's password here (see README.md)."
  value       = module.pg_ephemeral.bot_secret_arn
}

output "security_group_id" {
  description = "Security group of the function."
  value       = module.pg_ephemeral.security_group_id
}

output "requester_policy_arn" {
  description = "Attach to IAM roles of requesters (or use the permission set)."
  value       = module.pg_ephemeral.requester_policy_arn
}

output "sweep_dlq_url" {
  description = "Dead-letter queue of failed sweeps."
  value       = module.pg_ephemeral.sweep_dlq_url
}

output "log_group_name" {
  description = "Where the broker logs."
  value       = module.pg_ephemeral.log_group_name
}

output "sym_inputs" {
  description = "Input of infra/sym: terraform output -json sym_inputs > ../../sym/broker.auto.tfvars.json"
  value       = module.pg_ephemeral.sym_inputs
}

output "invocation_fence_policy_json" {
  description = "Service control policy for the broker's account (AWS Organizations): only Sym, the sweep and the deploy role reach the function."
  value       = module.pg_ephemeral.invocation_fence_policy_json
}
