-- Audit queries at a million events (docs/ledger-hash-chain.md, "Audit queries at scale").
--
-- Measured before this migration on 1,000,000 events (334,448 credentials, 122 of them open),
-- EXPLAIN (ANALYZE, BUFFERS):
--   audit_active         565 ms: a hash anti-join of all 334,448 'requested' rows against every
--                        ending event (a parallel seq scan of the whole table), to find 122 rows.
--   ledger list --active 3.4 s: the state of every credential, newest first, looking for 200
--                        active ones that do not exist.
--   one requester, target or approver, newest 200: 4 to 7 ms, most of it the state of each
--                        credential: all its events fetched from the heap and sorted by an
--                        expression, then its events fetched again for the 'issued' time.
--
-- 1. Open credentials. Which credentials are open is a fact about rows that do not exist (no
--    ending event), so no index over ledger_event can hold it: a partial index sees one row at a
--    time, and a row never changes. The best plan over indexes still reads every 'requested' and
--    every ending entry. So the table's own trigger keeps the set: a 'requested' row adds its
--    credential, an ending event removes it. It is derived data, never written by the broker or
--    readable by anyone but its owner and the views, and rebuilt from the ledger by the INSERT at
--    the end of this file. audit_active checks every credential it lists against the ledger, so a
--    stray entry cannot show a closed credential as active.
CREATE TABLE ledger_open_credential (
    credential_id uuid PRIMARY KEY,
    requested_seq bigint NOT NULL
);

COMMENT ON TABLE ledger_open_credential IS
    'pg-ephemeral: credentials with a requested and no ending event, kept by a trigger on ledger_event';

-- Statement-level with a transition table: one append is one row, a bulk load one pass. An
-- AFTER trigger sees its own statement's rows, so a credential requested and ended in the same
-- statement is never added.
CREATE FUNCTION ledger_event_track_open() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO "${flyway:defaultSchema}".ledger_open_credential (credential_id, requested_seq)
    SELECT n.credential_id, n.seq FROM appended n
    WHERE n.event = 'requested'
      AND NOT EXISTS (SELECT FROM "${flyway:defaultSchema}".ledger_event t
                      WHERE t.credential_id = n.credential_id
                        AND t.event IN ('failed', 'revoked', 'disabled', 'expired', 'reconciled'))
    ON CONFLICT (credential_id) DO NOTHING;
    DELETE FROM "${flyway:defaultSchema}".ledger_open_credential o
    USING appended n
    WHERE o.credential_id = n.credential_id
      AND n.event IN ('failed', 'revoked', 'disabled', 'expired', 'reconciled');
    RETURN NULL;
END
$$;

REVOKE ALL ON FUNCTION ledger_event_track_open() FROM PUBLIC;

-- Creating the trigger locks out appends until this migration commits, so the fill below and
-- the trigger between them see every row exactly once.
CREATE TRIGGER ledger_event_track_open
    AFTER INSERT ON ledger_event
    REFERENCING NEW TABLE AS appended
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_event_track_open();

INSERT INTO ledger_open_credential (credential_id, requested_seq)
SELECT r.credential_id, r.seq FROM ledger_event r
WHERE r.event = 'requested'
  AND NOT EXISTS (SELECT FROM ledger_event t
                  WHERE t.credential_id = r.credential_id
                    AND t.event IN ('failed', 'revoked', 'disabled', 'expired', 'reconciled'))
ON CONFLICT (credential_id) DO NOTHING;

-- 2. A credential's state in at most three index probes instead of fetching and sorting all its
--    events: its closing event (the unique index of V3), else its latest 'reconciled' note (the
--    ending-events index of V2), else its latest event ((credential_id, seq), V1). The first branch
--    that finds a row ends the search. Same rule, same columns.
-- 3. Its 'issued' time from an index of its own, without visiting the heap.
CREATE INDEX ledger_event_issued_credential ON ledger_event (credential_id, seq) INCLUDE (recorded_at)
    WHERE event = 'issued';

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
    (SELECT e.event, e.recorded_at, e.actor, e.detail, e.seq
     FROM ledger_event e
     WHERE e.credential_id = r.credential_id AND e.event IN ('revoked', 'disabled', 'expired', 'failed')
     ORDER BY e.seq DESC
     LIMIT 1)
    UNION ALL
    (SELECT e.event, e.recorded_at, e.actor, e.detail, e.seq
     FROM ledger_event e
     WHERE e.credential_id = r.credential_id AND e.event = 'reconciled'
     ORDER BY e.seq DESC
     LIMIT 1)
    UNION ALL
    (SELECT e.event, e.recorded_at, e.actor, e.detail, e.seq
     FROM ledger_event e
     WHERE e.credential_id = r.credential_id
     ORDER BY e.seq DESC
     LIMIT 1)
    LIMIT 1) l
LEFT JOIN LATERAL (
    SELECT e.recorded_at
    FROM ledger_event e
    WHERE e.credential_id = r.credential_id AND e.event = 'issued'
    ORDER BY e.seq
    LIMIT 1) i ON true
WHERE r.event = 'requested';

-- Open credentials: the few in ledger_open_credential, each checked against the ledger (a
-- 'requested' row and no ending event), then shown as audit_credentials shows them.
CREATE OR REPLACE VIEW audit_active AS
SELECT c.*, c.valid_until < now() AS overdue
FROM audit_credentials c
WHERE c.credential_id IN (
        SELECT o.credential_id FROM ledger_open_credential o
        WHERE NOT EXISTS (SELECT FROM ledger_event t
                          WHERE t.credential_id = o.credential_id
                            AND t.event IN ('failed', 'revoked', 'disabled', 'expired', 'reconciled')))
  AND c.active;

-- Which index serves which question (all of them read through the views):
--   audit_active, ledger list --active    ledger_open_credential's primary key, then per credential:
--                                         ledger_event_requested_credential (its 'requested' row),
--                                         ledger_event_ending_credential (still no ending event)
--   a credential's state, every view      ledger_event_one_close_per_credential (V3), then
--                                         ledger_event_ending_credential, then ledger_event_credential
--   a credential's issued_at              ledger_event_issued_credential (index-only)
--   newest first for one requester        ledger_event_requested_by_requester (V2)
--   ... for one target, one approver      ledger_event_requested_by_target, _by_approver (V2), or for
--                                         the busiest ones ledger_event_requested_at (V2) read
--                                         backwards until enough match: the planner picks
--   ledger show, one credential's events  ledger_event_credential (V1)
