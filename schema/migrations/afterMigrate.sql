-- A Flyway callback, run after every `migrate` (even one that applied nothing), not a versioned
-- migration: it tells the broker which version the ledger is at. The broker writes as
-- ${ledger_writer}, which may not read Flyway's history table; this view shows it the newest
-- applied version and nothing else. The broker refuses to work on a ledger older than it needs
-- ("the ledger is at version N, this broker needs M: run migrate").

CREATE OR REPLACE VIEW ledger_schema_version AS
SELECT version::int AS version
FROM flyway_schema_history
WHERE success AND version IS NOT NULL
ORDER BY installed_rank DESC
LIMIT 1;

GRANT SELECT ON ledger_schema_version TO "${ledger_writer}";
