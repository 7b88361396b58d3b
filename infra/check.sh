#!/usr/bin/env bash
# Offline checks of the Terraform code in infra/:
#   1. terraform fmt -check on everything (including infra/sym);
#   2. terraform init + validate of modules/pg-ephemeral and examples/complete;
#   3. terraform test of modules/pg-ephemeral (mocked AWS provider: no
#      credentials, no network, nothing created).
# infra/sym needs the Sym provider, which is not in the local plugin mirror,
# so it only gets the fmt check (set INFRA_CHECK_SYM=1 where the registry is
# reachable to also init + validate it).
#
# Works from any directory and on a clean checkout. Exits 0 with a notice when
# terraform is not installed; otherwise non-zero on the first failure.
#
# Provider source, in this order: $TF_PLUGIN_DIR; a local plugin mirror found
# on this machine (a directory holding
# registry.terraform.io/hashicorp/aws/<version>/<os_arch>/terraform-provider-aws*);
# otherwise a normal `terraform init` from the registry (needs network).
set -euo pipefail

infra_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

say() { printf '%s\n' "$*"; }
run() {
  say "+ $*"
  "$@"
}

if ! command -v terraform >/dev/null 2>&1; then
  say "terraform not installed: infra checks skipped"
  exit 0
fi

started=$(date +%s)
export TF_IN_AUTOMATION=1 TF_INPUT=0
# A CLI config that points at a missing file only produces warnings; ignore it.
if [[ -n "${TF_CLI_CONFIG_FILE:-}" && ! -f "${TF_CLI_CONFIG_FILE}" ]]; then
  unset TF_CLI_CONFIG_FILE
fi
color=()
if [[ ! -t 1 || -n "${CI:-}" ]]; then
  color=(-no-color)
fi

say "== infra checks ($(terraform version | head -n 1))"

# --- Where the AWS provider comes from --------------------------------------
find_plugin_dir() {
  local candidate binary
  for candidate in "${TF_PLUGIN_DIR:-}" /opt/tf-plugins "${HOME:-/nonexistent}/.terraform.d/plugins" \
    /usr/local/share/terraform/plugins /usr/share/terraform/plugins; do
    if [[ -n "$candidate" ]] && compgen -G "$candidate/registry.terraform.io/hashicorp/aws/*/*/terraform-provider-aws*" >/dev/null; then
      printf '%s\n' "$candidate"
      return 0
    fi
  done
  # Last resort: search the local file systems (bounded depth, first hit).
  binary=$(find / -xdev -maxdepth 9 -path /proc -prune -o -type f \
    -path '*/registry.terraform.io/hashicorp/aws/*/terraform-provider-aws*' -print -quit 2>/dev/null || true)
  if [[ -n "$binary" ]]; then
    # <mirror>/registry.terraform.io/hashicorp/aws/<version>/<os_arch>/<binary>
    printf '%s\n' "$(cd "$(dirname "$binary")/../../../../.." && pwd)"
    return 0
  fi
  return 1
}

init_args=(-backend=false -input=false -upgrade "${color[@]}")
if plugin_dir=$(find_plugin_dir); then
  say "== using the local provider mirror $plugin_dir"
  init_args+=("-plugin-dir=$plugin_dir")
else
  say "== no local provider mirror found: terraform init will use the registry (network needed)"
fi

# --- 1. Formatting ------------------------------------------------------------
say "== 1/3 formatting"
run terraform fmt -check -recursive -diff "${color[@]}" "$infra_dir"

# --- 2. Validation ------------------------------------------------------------
say "== 2/3 validation"
init_log=$(mktemp)
test_log=$(mktemp)
trap 'rm -f "$init_log" "$test_log"' EXIT

# init is quiet unless it fails.
quiet_init() {
  local dir=$1
  shift
  say "+ terraform -chdir=$dir init $*"
  if ! terraform -chdir="$dir" init "$@" >"$init_log" 2>&1; then
    cat "$init_log"
    say "infra checks FAILED: terraform init in $dir"
    exit 1
  fi
}

for root in modules/pg-ephemeral examples/complete; do
  quiet_init "$infra_dir/$root" "${init_args[@]}"
  run terraform -chdir="$infra_dir/$root" validate "${color[@]}"
done

if [[ "${INFRA_CHECK_SYM:-0}" == "1" ]]; then
  quiet_init "$infra_dir/sym" -backend=false -input=false "${color[@]}"
  run terraform -chdir="$infra_dir/sym" validate "${color[@]}"
else
  say "   sym: fmt only (the Sym provider is not available offline; INFRA_CHECK_SYM=1 to validate with network)"
fi

# --- 3. Tests -----------------------------------------------------------------
say "== 3/3 terraform test (mocked AWS provider)"
run terraform -chdir="$infra_dir/modules/pg-ephemeral" test "${color[@]}" | tee "$test_log"
passed=$(sed -n 's/.*Success! \([0-9][0-9]*\) passed, 0 failed.*/\1/p' "$test_log" | tail -n 1)
if [[ -z "$passed" || "$passed" -eq 0 ]]; then
  say "infra checks FAILED: terraform test did not report passing tests"
  exit 1
fi

say "== infra checks OK: fmt, validate (module, example), ${passed} terraform tests passed in $(($(date +%s) - started))s"
