variable "region" {
  description = "AWS region of the database and the broker."
  type        = string
  default     = "eu-west-1"
}

variable "jar_path" {
  description = "The shaded jar built by `mvn -DskipTests package` at the repository root."
  type        = string
  default     = "../../../target/pg-ephemeral.jar"
}

variable "vpc_id" {
  description = "VPC of the database."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets for the function, ideally in two or more AZs."
  type        = list(string)
}

variable "database_security_group_id" {
  description = "Security group of the PostgreSQL instance or cluster."
  type        = string
}

variable "db_url" {
  description = "JDBC URL of the target database."
  type        = string
  default     = "jdbc:postgresql://app-db.cluster-abc123.eu-west-1.rds.amazonaws.com:5432/app?sslmode=verify-full"
}

variable "sym_runtime_role_arn" {
  description = "Sym runtime connector role (from Sym's runtime connector setup)."
  type        = string
}

variable "sym_external_id" {
  description = "Optional external ID on the invoker role's trust. Sym's lambda connector uses none on this hop; set one only if Sym confirms it sends it."
  type        = string
  default     = null
}

variable "deploy_role_arn" {
  description = "Role that runs Terraform here; left outside the invocation fence. null: no fence output."
  type        = string
  default     = null
}

variable "sso_instance_arn" {
  description = "ARN of the IAM Identity Center instance, to create a requester permission set. null: no permission set."
  type        = string
  default     = null
}

variable "alarm_topic_arn" {
  description = "SNS topic for alarms. null: no alarms."
  type        = string
  default     = null
}
