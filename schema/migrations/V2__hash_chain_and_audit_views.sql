-- The ledger becomes tamper-evident, and auditors get views of it.
--
-- 1. Hash chain. Every row from now on carries prev_hash (the hash of the row before it) and hash
--    = SHA-256 over the row's canonical encoding and prev_hash (docs/auditors-and-requesters.md,
--    "Hash chain"). The broker computes both under an advisory lock; the database insists that
--    they are there and that no two rows claim the same predecessor, i.e. that the chain never forks.
--    Rows written before this migration keep NULL hashes: they are the unchained beginning of the
--    ledger, which `ledger verify` reports and accepts only before the first chained row.

ALTER TABLE ledger_event ADD COLUMN prev_hash text, ADD COLUMN hash text;

-- NOT VALID: checked for every new (or changed) row, not for the rows from before the chain.
ALTER TABLE ledger_event ADD CONSTRAINT ledger_event_chained CHECK (
    prev_hash IS NOT NULL AND prev_hash ~ '^[0-9a-f]{64}$'
    AND hash IS NOT NULL AND hash ~ '^[0-9a-f]{64}$') NOT VALID;

CREATE UNIQUE INDEX ledger_event_one_successor ON ledger_event (prev_hash);

-- The broker draws seq itself (it is part of the hash) before inserting with OVERRIDING SYSTEM VALUE.
GRANT USAGE ON SEQUENCE ledger_event_seq_seq TO "${ledger_writer}";

-- 2. Audit views. Each credential starts with exactly one 'requested' row, which carries who, what,
--    for whom and why; its latest row says where it stands. Starting from the 'requested' rows keeps
--    filters on requester, target, approver and time on an index, and the latest row is one probe of
--    (credential_id, seq) per credential.

-- Indexes for the audit questions: by person or target, newest first, and by time.
CREATE INDEX ledger_event_requested_by_requester ON ledger_event (requester, recorded_at) WHERE event = 'requested';
CREATE INDEX ledger_event_requested_by_target ON ledger_event (target, recorded_at) WHERE event = 'requested';
CREATE INDEX ledger_event_requested_by_approver ON ledger_event (approver, recorded_at) WHERE event = 'requested';
CREATE INDEX ledger_event_requested_at ON ledger_event (recorded_at) WHERE event = 'requested';
CREATE INDEX ledger_event_requested_role ON ledger_event (role_name) WHERE event = 'requested';

-- Every event, in recording order, hashes included: what `ledger export` and `ledger verify` read.
CREATE VIEW audit_events AS
SELECT seq, credential_id, run_id, attempt, event, recorded_at, requester, approver, reason, target,
       role_name, secret_id, valid_until, actor, detail, prev_hash, hash
FROM ledger_event;

-- One row per credential with its latest state.
CREATE VIEW audit_credentials AS
SELECT r.credential_id,
       r.requester,
       r.target,
       r.role_name,
       r.approver,
       r.reason,
       r.recorded_at                            AS requested_at,
       i.recorded_at                            AS issued_at,
       r.valid_until,
       l.event                                  AS state,
       l.recorded_at                            AS state_at,
       l.actor                                  AS state_actor,
       l.detail                                 AS state_detail,
       l.event IN ('requested', 'issued')       AS active,
       CASE WHEN l.event IN ('requested', 'issued') THEN NULL ELSE l.recorded_at END AS ended_at,
       r.run_id,
       r.attempt,
       r.secret_id,
       l.seq                                    AS latest_seq
FROM ledger_event r
CROSS JOIN LATERAL (
    SELECT e.event, e.recorded_at, e.actor, e.detail, e.seq
    FROM ledger_event e
    WHERE e.credential_id = r.credential_id
    -- The state: the closing event if there is one, else a sweep's 'reconciled' note, else the
    -- latest event (the broker's rule, see V3): a late 'issued' cannot show a closed credential active.
    ORDER BY (e.event IN ('revoked', 'disabled', 'expired', 'failed', 'reconciled')) DESC,
             (e.event = 'reconciled'), e.seq DESC
    LIMIT 1) l
LEFT JOIN LATERAL (
    SELECT e.recorded_at
    FROM ledger_event e
    WHERE e.credential_id = r.credential_id AND e.event = 'issued'
    ORDER BY e.seq
    LIMIT 1) i ON true
WHERE r.event = 'requested';

-- Credentials that may be usable right now: issued (or being issued) and not yet ended. One past
-- its valid_until is still listed, as overdue: PostgreSQL refuses new logins after VALID UNTIL,
-- but open sessions go on until the broker ends them.
-- Every event after 'requested' and 'issued' ends a credential for good (the broker never issues
-- after one), so "active" is "requested, with no ending event": two index-only scans in
-- credential order and an anti-join, instead of looking up the latest row of every credential.
CREATE INDEX ledger_event_requested_credential ON ledger_event (credential_id) WHERE event = 'requested';
CREATE INDEX ledger_event_ending_credential ON ledger_event (credential_id)
    WHERE event IN ('failed', 'revoked', 'disabled', 'expired', 'reconciled');

CREATE VIEW audit_active AS
SELECT c.*, c.valid_until < now() AS overdue
FROM audit_credentials c
WHERE c.credential_id IN (
        SELECT r.credential_id FROM ledger_event r
        WHERE r.event = 'requested'
          AND NOT EXISTS (SELECT FROM ledger_event t
                          WHERE t.credential_id = r.credential_id
                            AND t.event IN ('failed', 'revoked', 'disabled', 'expired', 'reconciled')))
  AND c.active;

-- Per person and per target: how many credentials, the first and the last, and how many are open.
CREATE VIEW audit_requesters AS
SELECT requester, count(*) AS credentials, count(*) FILTER (WHERE state = 'failed') AS failed,
       count(*) FILTER (WHERE active) AS active_now, min(requested_at) AS first_requested,
       max(requested_at) AS last_requested, array_agg(DISTINCT target ORDER BY target) AS targets
FROM audit_credentials GROUP BY requester;

CREATE VIEW audit_targets AS
SELECT target, count(*) AS credentials, count(*) FILTER (WHERE state = 'failed') AS failed,
       count(*) FILTER (WHERE active) AS active_now, min(requested_at) AS first_requested,
       max(requested_at) AS last_requested, count(DISTINCT requester) AS requesters
FROM audit_credentials GROUP BY target;

CREATE VIEW audit_approvers AS
SELECT approver, count(*) AS credentials, count(DISTINCT requester) AS requesters,
       min(requested_at) AS first_approved, max(requested_at) AS last_approved,
       array_agg(DISTINCT target ORDER BY target) AS targets
FROM audit_credentials GROUP BY approver;

-- 3. The auditor: reads the views and nothing else. Views run with their owner's rights, so the
--    auditor needs no privilege on the table itself; grant this role to the people who audit.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ephemeral_auditor') THEN
        CREATE ROLE ephemeral_auditor NOLOGIN;
    END IF;
END
$$;

GRANT USAGE ON SCHEMA ${flyway:defaultSchema} TO ephemeral_auditor;
GRANT SELECT ON audit_events, audit_credentials, audit_active, audit_requesters, audit_targets, audit_approvers
    TO ephemeral_auditor;

-- The writer can read the table anyway; with the views too, `ledger` commands work with the
-- broker's own configuration.
GRANT SELECT ON audit_events, audit_credentials, audit_active, audit_requesters, audit_targets, audit_approvers
    TO "${ledger_writer}";
