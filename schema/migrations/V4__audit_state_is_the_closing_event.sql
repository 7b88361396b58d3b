-- A credential's state is its closing event (revoked, disabled, expired or failed) if it has one,
-- else a sweep's 'reconciled' note, else its latest event: the same rule the broker uses (V3). A
-- late 'issued' written after a racing deescalate closed the credential must not show it active.
CREATE OR REPLACE VIEW audit_credentials AS
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
