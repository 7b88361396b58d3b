###############################################################################
# Sym organisation and environment
###############################################################################

variable "sym_org_slug" {
  description = "Your Sym organisation's slug."
  type        = string
}

variable "environment_name" {
  description = "Short name of this deployment (e.g. prod, staging); used in Sym resource names."
  type        = string
  default     = "prod"
}

variable "sym_environment_id" {
  description = "ID of an existing sym_environment to add the flow to. null: this configuration creates a runtime, Slack integration, error logger and environment."
  type        = string
  default     = null
}

variable "slack_workspace_id" {
  description = "Slack workspace ID (T...). Only used when an environment is created here."
  type        = string
  default     = null
}

variable "error_channel" {
  description = "Slack channel for Sym's error messages. Only used when an environment is created here."
  type        = string
  default     = "#sym-errors"
}

variable "sym_runtime_role_arn" {
  description = "ARN of the Sym runtime connector role in your AWS account (the one the broker's invoker role trusts). Only used when an environment is created here."
  type        = string
  default     = null
}

variable "sym_runtime_external_id" {
  description = "External ID of the Sym runtime connector role. Only used when an environment is created here."
  type        = string
  default     = null
}

###############################################################################
# Flow
###############################################################################

variable "flow_name" {
  description = "Name (slug) of the Sym flow; unique in the organisation."
  type        = string
  default     = "pg-ephemeral"
}

variable "flow_label" {
  description = "Name of the flow as people see it in Slack."
  type        = string
  default     = "PostgreSQL access"
}

variable "request_channel" {
  description = "Slack channel where requests are posted for approval."
  type        = string
  default     = "#access-requests"
}

variable "allow_self_approval" {
  description = "Whether requesters may approve their own requests."
  type        = bool
  default     = false
}

variable "durations" {
  description = "Durations offered in the request form. Sym's duration format (whole minutes, hours or days: 30m, 1h, 1d); the broker receives them as whole seconds and parses them the same way (30m, 1h, PT30M or a number). None may exceed the broker's max_ttl."
  type        = list(string)
  default     = ["15m", "30m", "1h", "2h", "4h", "8h"]

  validation {
    condition     = length(var.durations) > 0 && alltrue([for d in var.durations : can(regex("^[1-9][0-9]{0,4}[mhd]$", d))])
    error_message = "durations must be whole minutes, hours or days, such as 30m, 1h or 1d."
  }
}

variable "target_labels" {
  description = "Optional Slack labels per target name, e.g. { readonly = \"App DB (read-only)\" }."
  type        = map(string)
  default     = {}
}

###############################################################################
# From the AWS side: `terraform output -json sym_inputs` of the root that uses
# modules/pg-ephemeral, saved as broker.auto.tfvars.json next to this file.
###############################################################################

variable "broker_alias_arn" {
  description = "ARN of the broker's alias (module output alias_arn). Every target points at it."
  type        = string

  validation {
    # An unqualified or $LATEST ARN would bypass SnapStart and the invoker
    # role, which may only invoke the alias.
    condition     = can(regex("^arn:[a-z-]+:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]+:[A-Za-z][A-Za-z0-9_-]*$", var.broker_alias_arn)) && !endswith(var.broker_alias_arn, ":$LATEST")
    error_message = "broker_alias_arn must be the alias-qualified function ARN (module output alias_arn)."
  }
}

variable "broker_target_names" {
  description = "Allow-listed target names (module output target_names). Each becomes a sym_target of the same name: the broker matches fields.target.name against BROKER_TARGETS. Sym target names are unique per organisation, so use distinct names per deployment (e.g. prod-readonly)."
  type        = list(string)

  validation {
    condition     = length(var.broker_target_names) > 0
    error_message = "broker_target_names must list at least one target."
  }
}

variable "broker_max_ttl_seconds" {
  description = "BROKER_MAX_TTL in seconds (module output max_ttl_seconds)."
  type        = number
}

variable "broker_duration_unit" {
  description = "BROKER_DURATION_UNIT of the broker (informational; Sym sends whole seconds, so the broker should use seconds)."
  type        = string
  default     = "seconds"
}

variable "aws_region" {
  description = "Region of the broker."
  type        = string
}

variable "aws_account_id" {
  description = "AWS account of the broker."
  type        = string
}

variable "sym_invoker_role_arn" {
  description = "Role Sym assumes to invoke the broker (module output sym_invoker_role_arn, under /sym/)."
  type        = string
}

variable "sym_external_id" {
  description = "External ID of that role (the module's sym_external_id input); null, as with Sym's own lambda connector, when the role requires none."
  type        = string
  default     = null
}
