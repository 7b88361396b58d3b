terraform {
  required_version = ">= 1.5.0"

  required_providers {
    # Sym's provider (registry.terraform.io/symopsio/sym). 3.x takes the
    # implementation as file contents and prompt fields as blocks.
    sym = {
      source  = "symopsio/sym"
      version = "~> 3.0"
    }
  }

  # Configure a backend for real use, e.g.:
  # backend "s3" { bucket = "...", key = "pg-ephemeral/sym.tfstate", region = "..." }
}

# Authenticates with the SYM_JWT environment variable (a Sym bot token, see
# `symflow tokens issue`), or with `symflow login` for people.
provider "sym" {
  org = var.sym_org_slug
}
