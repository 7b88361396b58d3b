output "flow_id" {
  description = "ID of the Sym flow."
  value       = sym_flow.this.id
}

output "strategy_id" {
  description = "ID of the aws_lambda strategy."
  value       = sym_strategy.broker.id
}

output "target_ids" {
  description = "Sym target IDs by target name."
  value       = { for name, target in sym_target.database : name => target.id }
}

output "environment_id" {
  description = "ID of the Sym environment the flow lives in."
  value       = local.environment_id
}
