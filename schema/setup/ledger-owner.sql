-- The ledger's owner: a role of its own, neither a superuser nor the bot. Run this as a superuser
-- in the ledger database (the target database unless BROKER_LEDGER_URL names another), then set
-- its password from psql with \password ledger_owner, then run `pg-ephemeral migrate` as docs/operators.md
-- says. The owner needs exactly this:

CREATE ROLE ledger_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;

-- CREATE on the database: `migrate` creates the schema 'ephemeral' and everything in it.
DO $$ BEGIN EXECUTE format('GRANT CREATE ON DATABASE %I TO ledger_owner', current_database()); END $$;

-- The auditors' role, which migration V2 grants the audit views to. Created here so that the
-- owner needs no CREATEROLE (with it, the owner could create and grant itself other roles).
DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ephemeral_auditor') THEN CREATE ROLE ephemeral_auditor NOLOGIN; END IF; END $$;
