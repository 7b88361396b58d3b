###############################################################################
# Naming
###############################################################################

variable "name" {
  description = "Name of the function and prefix of every other resource this module creates (roles, queue, schedule, key alias, security group)."
  type        = string
  default     = "pg-ephemeral"

  validation {
    # Lambda function names allow 64 characters; the longest derived name adds 22.
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$", var.name))
    error_message = "name must be 1-40 characters of letters, digits, '-' or '_', starting with a letter or digit."
  }
}

variable "tags" {
  description = "Tags added to every resource that supports tags."
  type        = map(string)
  default     = {}
}

###############################################################################
# Code package (the shaded jar from `mvn -DskipTests package`)
###############################################################################

variable "package_file" {
  description = "Local path of target/pg-ephemeral.jar. Set this or package_s3_bucket/package_s3_key, not both."
  type        = string
  default     = null
}

variable "package_s3_bucket" {
  description = "S3 bucket holding the jar, as an alternative to package_file (useful when CI uploads the build)."
  type        = string
  default     = null
}

variable "package_s3_key" {
  description = "S3 key of the jar in package_s3_bucket."
  type        = string
  default     = null
}

variable "package_s3_object_version" {
  description = "S3 object version of the jar. Set it (or use a new key per build): without it Terraform cannot see that the object changed."
  type        = string
  default     = null
}

###############################################################################
# Function
###############################################################################

variable "runtime" {
  description = "Lambda runtime. SnapStart supports both."
  type        = string
  default     = "java17"

  validation {
    condition     = contains(["java17", "java21"], var.runtime)
    error_message = "runtime must be java17 or java21."
  }
}

variable "architecture" {
  description = "Instruction set. The jar is pure Java, so arm64 (about 20% cheaper per GB-second) works as well."
  type        = string
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture must be x86_64 or arm64."
  }
}

variable "memory_size" {
  description = "Memory in MB. More memory also means more CPU, which shortens JVM start-up on cold starts that SnapStart cannot serve."
  type        = number
  default     = 1024

  validation {
    condition     = var.memory_size >= 256 && var.memory_size <= 10240
    error_message = "memory_size must be between 256 and 10240 MB."
  }
}

variable "timeout" {
  description = "Function timeout in seconds. Sym waits for escalate/deescalate synchronously; a sweep must end before the next one starts."
  type        = number
  default     = 60

  validation {
    condition     = var.timeout >= 5 && var.timeout <= 900
    error_message = "timeout must be between 5 and 900 seconds."
  }
}

variable "reserved_concurrent_executions" {
  description = "Reserved concurrency. -1 leaves the function unreserved; a small number (e.g. 5) caps parallel DDL on the database and keeps a runaway caller from exhausting the account's concurrency. 0 disables the function."
  type        = number
  default     = -1

  validation {
    condition     = var.reserved_concurrent_executions >= -1
    error_message = "reserved_concurrent_executions must be -1 (unreserved) or a non-negative number."
  }
}

variable "java_tool_options" {
  description = "JAVA_TOOL_OPTIONS for the JVM. The default trades peak throughput for faster start-up, which suits a short-lived broker. Empty string to leave it unset."
  type        = string
  default     = "-XX:+TieredCompilation -XX:TieredStopAtLevel=1"
}

variable "alias_name" {
  description = "Name of the alias that Sym and the sweeper invoke. It always points at a published (SnapStart) version."
  type        = string
  default     = "live"

  validation {
    # A number would be read as a version; $LATEST cannot use SnapStart.
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_-]{0,127}$", var.alias_name))
    error_message = "alias_name must start with a letter and contain only letters, digits, '-' and '_'."
  }
}

variable "pinned_version" {
  description = "Roll-back switch: a previously published version number for the alias to point at. null points the alias at the version published by this apply."
  type        = string
  default     = null

  validation {
    condition     = var.pinned_version == null || can(regex("^[1-9][0-9]*$", coalesce(var.pinned_version, "1")))
    error_message = "pinned_version must be a published version number such as \"7\"."
  }
}

variable "redeploy_marker" {
  description = "Change this (e.g. to a date) to publish a new version without a code change: new execution environments. Not needed after rotating the bot password: the broker re-reads its secret when PostgreSQL rejects the old one."
  type        = string
  default     = ""
}

variable "log_retention_in_days" {
  description = "Retention of the function's CloudWatch log group."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_in_days)
    error_message = "log_retention_in_days must be one of the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}

variable "log_kms_key_arn" {
  description = "Optional KMS key ARN to encrypt the log group. The key policy must allow the CloudWatch Logs service principal."
  type        = string
  default     = null
}

###############################################################################
# Broker settings (become the function's environment variables)
###############################################################################

variable "db_url" {
  description = "BROKER_DB_URL: JDBC URL of the target database, e.g. jdbc:postgresql://db.internal:5432/app?sslmode=verify-full (verify-full is required unless allow_database_without_verified_tls)."
  type        = string

  validation {
    condition     = can(regex("^jdbc:postgresql://[^/]+/.+", var.db_url))
    error_message = "db_url must look like jdbc:postgresql://host:5432/database."
  }
}

variable "db_user" {
  description = "BROKER_DB_USER: the bot's database user (see schema/setup/bot-setup-pg16.sql (bot-setup-pg13-15.sql before 16))."
  type        = string

  validation {
    condition     = length(var.db_user) > 0 && length(var.db_user) <= 63
    error_message = "db_user must be a PostgreSQL role name (1-63 characters)."
  }
}

variable "ledger_url" {
  description = "BROKER_LEDGER_URL: JDBC URL of the ledger database. null uses the target database. A ledger on another host must be reachable: add its security group or CIDR to the database_* inputs."
  type        = string
  default     = null

  validation {
    condition     = var.ledger_url == null || can(regex("^jdbc:postgresql://[^/]+/.+", coalesce(var.ledger_url, "x")))
    error_message = "ledger_url must look like jdbc:postgresql://host:5432/database."
  }
}

variable "db_ca_bundle" {
  description = "BROKER_DB_CA_BUNDLE: path, inside the function, of the PEM bundle of CAs that sign the database's certificate (the broker connects with sslmode=verify-full and refuses to start without one for a remote host). For RDS: AWS's global-bundle.pem shipped in a layer (see layers), e.g. /opt/rds/global-bundle.pem. null: not set."
  type        = string
  default     = null

  validation {
    condition     = var.db_ca_bundle == null || startswith(coalesce(var.db_ca_bundle, "/"), "/")
    error_message = "db_ca_bundle must be an absolute path inside the function, e.g. /opt/rds/global-bundle.pem."
  }
}

variable "layers" {
  description = "Lambda layer version ARNs to attach, e.g. one that holds the database's CA bundle under /opt."
  type        = list(string)
  default     = []
}

variable "allow_database_without_verified_tls" {
  description = "Opt-out: true accepts db_url/ledger_url without sslmode=verify-full (e.g. a database that cannot present a certificate for its host name). The bot's password and every CREATE ROLE then cross the network without server authentication."
  type        = bool
  default     = false
}

variable "creator_roles" {
  description = "BROKER_CREATOR_ROLES (PostgreSQL 16+ only, advised there): the creator roles schema/setup/bot-setup-pg16.sql makes, e.g. [for i in range(64) : format(\"ephemeral_creator_%02d\", i)]. The bot makes each login as one of them, so role DDL stays fast with thousands of live logins (docs/operators.md). []: not set; the bot creates logins itself."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.creator_roles) <= 64 && length(distinct(var.creator_roles)) == length(var.creator_roles) && alltrue([for r in var.creator_roles : can(regex("^[a-z_][a-z0-9_]{0,62}$", r)) && !startswith(r, "pg_")])
    error_message = "creator_roles: at most 64 distinct role names, each lower-case letters, digits and _ (at most 63), not starting with pg_."
  }
}

variable "connect_host" {
  description = "BROKER_CONNECT_HOST: host written into issued secrets, when requesters reach the database by another name than the one in db_url (e.g. a bastion or a public endpoint). null: not set."
  type        = string
  default     = null
}

variable "targets" {
  description = "BROKER_TARGETS allow-list: Sym target name => PostgreSQL roles granted to a credential for it (the last role may end in ':noinherit' and ':allow=pg_read_all_data+...', the opt-in to predefined roles docs/operators.md describes). Each name becomes one sym_target in infra/sym."
  type        = map(list(string))

  validation {
    condition     = length(var.targets) > 0
    error_message = "targets must name at least one target."
  }

  validation {
    # Same shape the broker accepts for fields.target.name; '/' would break the secret name.
    condition     = alltrue([for name in keys(var.targets) : can(regex("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$", name))])
    error_message = "target names must start with a letter or digit and contain only letters, digits, '.', '_' and '-'."
  }

  validation {
    condition = alltrue(flatten([
      for roles in values(var.targets) : concat(
        [length(roles) > 0],
        [for role in roles : can(regex("^[A-Za-z_][A-Za-z0-9_$]{0,62}(:noinherit)?(:allow=pg_[a-z0-9_]+([+]pg_[a-z0-9_]+)*)?$", role))]
      )
    ]))
    error_message = "each target needs at least one role; roles are plain PostgreSQL identifiers, optionally followed by ':noinherit' and ':allow=pg_role+pg_role' (the last role of a target)."
  }
}

variable "max_ttl" {
  description = "BROKER_MAX_TTL: longest lifetime of an issued credential; longer requests are capped. Whole seconds/minutes/hours, e.g. 12h, 90m."
  type        = string
  default     = "12h"

  validation {
    condition     = can(regex("^[1-9][0-9]{0,5}[smh]$", var.max_ttl))
    error_message = "max_ttl must be a whole number followed by s, m or h, e.g. 12h."
  }
}

variable "duration_unit" {
  description = "BROKER_DURATION_UNIT: unit of a bare number in Sym's duration field. Sym sends duration fields as whole seconds."
  type        = string
  default     = "seconds"

  validation {
    condition     = contains(["seconds", "minutes"], var.duration_unit)
    error_message = "duration_unit must be seconds or minutes."
  }
}

variable "secret_prefix" {
  description = "BROKER_SECRET_PREFIX: prefix of every issued secret's name. The broker's IAM permissions and the requesters' policy are scoped to it, so use a prefix nothing else in the account uses."
  type        = string
  default     = "pg-ephemeral/"

  validation {
    # Only characters Secrets Manager allows in names (so no IAM wildcard can
    # sneak in), and a closing '/' so that "pg-ephemeral/" cannot also match
    # "pg-ephemeral-other".
    condition     = can(regex("^[A-Za-z0-9_+=.@-][A-Za-z0-9/_+=.@-]{0,99}/$", var.secret_prefix))
    error_message = "secret_prefix must be 2-101 characters of letters, digits and /_+=.@- and end with '/'."
  }
}

variable "extra_environment" {
  description = "Further BROKER_* settings the broker understands (e.g. BROKER_ROLE_TEMPLATE, BROKER_CONNECTION_LIMIT). Cannot override the variables this module sets."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.extra_environment) : can(regex("^BROKER_[A-Z0-9_]+$", k))])
    error_message = "extra_environment keys must start with BROKER_."
  }

  validation {
    # The password must never travel in plain environment variables.
    condition     = !contains(keys(var.extra_environment), "BROKER_DB_PASSWORD") && !contains(keys(var.extra_environment), "BROKER_LEDGER_PASSWORD")
    error_message = "Passwords cannot be set through extra_environment; the bot's password is read from Secrets Manager."
  }
}

###############################################################################
# The bot's own database password
###############################################################################

variable "create_bot_secret" {
  description = "Create the Secrets Manager secret that holds the bot's password (no value: the operator puts it with the AWS CLI, so it never enters Terraform state). false: use bot_secret_arn."
  type        = bool
  default     = true
}

variable "bot_secret_name" {
  description = "Name of the created bot secret. null: \"<name>-bot/db-password\". Must not start with secret_prefix."
  type        = string
  default     = null
}

variable "bot_secret_arn" {
  description = "Full ARN (with the 6-character suffix) of an existing secret holding the bot's password, used when create_bot_secret is false. It must hold the password of the dedicated bot user: not an RDS-managed master secret (the master user is far too privileged, and RDS's automatic rotation breaks a SnapStart snapshot that holds the old password)."
  type        = string
  default     = null

  validation {
    condition     = var.bot_secret_arn == null || can(regex("^arn:[a-z-]+:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+-[A-Za-z0-9]{6}$", coalesce(var.bot_secret_arn, "x")))
    error_message = "bot_secret_arn must be a full secret ARN, including the random 6-character suffix."
  }

  validation {
    # RDS names the secrets it manages for master users "rds!...".
    condition     = var.bot_secret_arn == null || !strcontains(coalesce(var.bot_secret_arn, "x"), ":secret:rds!")
    error_message = "bot_secret_arn must not be an RDS-managed master secret (rds!...): create the dedicated bot user (schema/setup) and store its password in the module's bot secret."
  }
}

variable "bot_secret_kms_key_arn" {
  description = "KMS key ARN of the existing bot secret, when it is encrypted with a customer-managed key (null for the aws/secretsmanager key). Only used with create_bot_secret = false."
  type        = string
  default     = null
}

variable "bot_secret_recovery_window_in_days" {
  description = "Recovery window of the created bot secret when it is deleted (0 deletes at once)."
  type        = number
  default     = 7

  validation {
    condition     = var.bot_secret_recovery_window_in_days == 0 || (var.bot_secret_recovery_window_in_days >= 7 && var.bot_secret_recovery_window_in_days <= 30)
    error_message = "bot_secret_recovery_window_in_days must be 0 or between 7 and 30."
  }
}

###############################################################################
# KMS key for issued secrets
###############################################################################

variable "kms_key_administrator_arns" {
  description = "Principals allowed to administer (not use) the KMS key. Empty: the account root, i.e. IAM policies in this account decide who administers it."
  type        = list(string)
  default     = []
}

variable "kms_deletion_window_in_days" {
  description = "Waiting period before the KMS key is deleted after a destroy."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_in_days >= 7 && var.kms_deletion_window_in_days <= 30
    error_message = "kms_deletion_window_in_days must be between 7 and 30."
  }
}

###############################################################################
# Requesters
###############################################################################

variable "requester_principal_tag" {
  description = "Principal tag holding the requester's email in their AWS session: with IAM Identity Center, the key of an 'attribute for access control' mapped to the user's email. Compared (ignoring case) with the pg-ephemeral:requester tag of each secret."
  type        = string
  default     = "email"

  validation {
    condition     = can(regex("^[A-Za-z0-9_.:/=+@-]{1,128}$", var.requester_principal_tag))
    error_message = "requester_principal_tag must be a valid tag key."
  }
}

variable "requester_principal_arn_patterns" {
  description = "Fence in the KMS key policy: only principals whose ARN matches one of these patterns may decrypt issued secrets. Name the requester permission set's roles, e.g. [\"arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_PgEphemeralRequester_????????????????\"] (add the same with \".../sso.amazonaws.com/*/AWSReservedSSO_...\" when Identity Center puts a region in the path). Required unless allow_unfenced_requesters is true."
  type        = list(string)
  default     = []

  validation {
    # A role pattern, and not one that admits every role of the account or
    # every permission set (admin ones included).
    condition = alltrue([
      for p in var.requester_principal_arn_patterns :
      can(regex("^arn:[a-z-]+:iam::[0-9]{12}:role/[^*?]", p)) && !can(regex("^arn:[a-z-]+:iam::[0-9]{12}:role/(aws-reserved/sso\\.amazonaws\\.com/)?[*?]*$", p)) && !can(regex("AWSReservedSSO_[*?]", p))
    ])
    error_message = "requester_principal_arn_patterns must be role ARN patterns naming specific roles (e.g. ...:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_PgEphemeralRequester_????????????????), not \"role/*\", every Identity Center role or every permission set (AWSReservedSSO_*)."
  }
}

variable "allow_unfenced_requesters" {
  description = "Opt-out: true lets any principal of the account that holds the requester policy and a matching principal tag decrypt its secret, without requester_principal_arn_patterns. Anyone who can start a session with a chosen tag (sts:TagSession) could then read that person's credential."
  type        = bool
  default     = false
}

variable "create_requester_policy" {
  description = "Create a customer-managed IAM policy from requester_policy_json. Identity Center permission sets can reference it by name (it must then exist in every account the permission set is provisioned to), or you can paste requester_policy_json as an inline policy instead."
  type        = bool
  default     = true
}

variable "requester_policy_name" {
  description = "Name of the created requester policy. null: \"<name>-requester\"."
  type        = string
  default     = null
}

###############################################################################
# Network
###############################################################################

variable "vpc_id" {
  description = "VPC of the database."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets for the function (at least two AZs recommended). They need a route to Secrets Manager: an interface endpoint or a NAT gateway."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) > 0
    error_message = "subnet_ids must list at least one subnet."
  }
}

variable "additional_security_group_ids" {
  description = "Extra security groups attached to the function besides the one this module creates. Their egress rules add to (widen) the module's, so attach only groups with narrow egress."
  type        = list(string)
  default     = []
}

variable "database_port" {
  description = "TCP port of the target (and ledger) database."
  type        = number
  default     = 5432
}

variable "database_security_group_ids" {
  description = "Security groups of the database(s): the function may open connections to them on database_port. Set this, database_cidr_blocks, or both."
  type        = list(string)
  default     = []
}

variable "database_cidr_blocks" {
  description = "IPv4 CIDR blocks of the database(s), for databases not addressable by security group (e.g. peered VPCs)."
  type        = list(string)
  default     = []
}

variable "manage_database_ingress" {
  description = "Also add an ingress rule to each of database_security_group_ids allowing the function on database_port. Leave false if the database's rules are managed elsewhere."
  type        = bool
  default     = false
}

variable "create_secretsmanager_endpoint" {
  description = "Create an interface VPC endpoint for Secrets Manager in subnet_ids (private DNS on). Only if the VPC has none yet: two endpoints with private DNS for one service conflict."
  type        = bool
  default     = false
}

variable "secretsmanager_endpoint_security_group_ids" {
  description = "Security groups of an existing Secrets Manager interface endpoint: the function may reach them on 443."
  type        = list(string)
  default     = []
}

variable "https_egress_cidr_blocks" {
  description = "IPv4 CIDR blocks the function may reach on 443, for reaching Secrets Manager through a NAT gateway (then [\"0.0.0.0/0\"], since the service's addresses are not fixed). Prefer an endpoint."
  type        = list(string)
  default     = []
}

###############################################################################
# Sweeper
###############################################################################

variable "sweep_enabled" {
  description = "Whether the sweep schedule is enabled. The sweep drops credentials whose deescalate never arrived."
  type        = bool
  default     = true
}

variable "sweep_schedule_expression" {
  description = "EventBridge Scheduler expression for the sweep."
  type        = string
  default     = "rate(1 minute)"

  validation {
    condition     = can(regex("^(rate|cron)\\(.+\\)$", var.sweep_schedule_expression))
    error_message = "sweep_schedule_expression must be a rate(...) or cron(...) expression."
  }
}

variable "sweep_retry_attempts" {
  description = "How often Scheduler retries a sweep it could not deliver (throttling, permissions) before it goes to the dead-letter queue. Kept low: the next sweep is a minute away."
  type        = number
  default     = 2

  validation {
    condition     = var.sweep_retry_attempts >= 0 && var.sweep_retry_attempts <= 185
    error_message = "sweep_retry_attempts must be between 0 and 185."
  }
}

variable "sweep_max_event_age_seconds" {
  description = "How long Scheduler keeps retrying one sweep. A stale sweep is worthless once the next one has run."
  type        = number
  default     = 60

  validation {
    condition     = var.sweep_max_event_age_seconds >= 60 && var.sweep_max_event_age_seconds <= 86400
    error_message = "sweep_max_event_age_seconds must be between 60 and 86400."
  }
}

variable "dlq_message_retention_seconds" {
  description = "How long failed sweep events stay in the dead-letter queue."
  type        = number
  default     = 1209600
}

variable "alarm_actions" {
  description = "SNS topic ARNs notified when the dead-letter queue receives a message or the function reports errors. Empty: no alarms are created."
  type        = list(string)
  default     = []
}

###############################################################################
# Sym
###############################################################################

variable "sym_runtime_role_arn" {
  description = "ARN of the Sym runtime connector role (created with Sym's runtime connector) that assumes this module's invoker role. null: no invoker role is created."
  type        = string
  default     = null
}

variable "sym_external_id" {
  description = "Optional external ID required on the invoker role's trust. Sym's own lambda connector trusts the runtime role with no external ID (the external ID protects the Sym-to-runtime hop), so leave null unless Sym confirms it sends one on this hop."
  type        = string
  default     = null

  validation {
    # (RE2 caps repetition counts at 1000, hence the separate length check.)
    condition     = var.sym_external_id == null || (length(coalesce(var.sym_external_id, "xx")) >= 2 && length(coalesce(var.sym_external_id, "xx")) <= 1224 && can(regex("^[A-Za-z0-9+=,.@:/-]+$", coalesce(var.sym_external_id, "xx"))))
    error_message = "sym_external_id must be 2-1224 characters of letters, digits and +=,.@:/-."
  }
}

variable "deploy_role_arn" {
  description = "ARN of the role that runs Terraform for this module. The only principal left outside the invocation fence (output invocation_fence_policy_json) and, when set, the only one besides the broker that may use the bot secret's key; it also configures the function key. null: no fence output, and key use is delegated to the account's IAM."
  type        = string
  default     = null

  validation {
    condition     = var.deploy_role_arn == null || can(regex("^arn:[a-z-]+:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$", coalesce(var.deploy_role_arn, "x")))
    error_message = "deploy_role_arn must be an IAM role ARN without wildcards."
  }
}

variable "sym_invoker_role_name" {
  description = "Name of the role Sym assumes to invoke the function. null: \"<name>-sym-invoker\". It is created under the /sym/ path, the only path Sym's runtime connector may assume."
  type        = string
  default     = null
}
