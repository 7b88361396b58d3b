-- The ledger: one row per event in the life of a credential, appended and never changed.
-- ${ledger_writer} is the role the broker writes as (the bot, by default). It may insert and read;
-- it may not update, delete or truncate, and the table's owner should be a different role.

CREATE TABLE ledger_event (
    seq           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    credential_id uuid        NOT NULL,
    run_id        text        NOT NULL,
    attempt       integer     NOT NULL CHECK (attempt > 0),
    event         text        NOT NULL CHECK (event IN
                      ('requested', 'issued', 'failed', 'revoked', 'disabled', 'expired', 'reconciled')),
    recorded_at   timestamptz NOT NULL,
    requester     text        NOT NULL,
    approver      text,
    reason        text,
    target        text        NOT NULL,
    role_name     text        NOT NULL,
    secret_id     text,
    valid_until   timestamptz NOT NULL,
    actor         text,
    detail        text
);

COMMENT ON TABLE ledger_event IS
    'pg-ephemeral ledger: every state change of every temporary credential; append-only';

-- One 'requested' row per attempt of a run: two concurrent deliveries of the same escalate
-- cannot both start the same attempt.
CREATE UNIQUE INDEX ledger_event_one_request_per_attempt
    ON ledger_event (run_id, attempt) WHERE event = 'requested';
CREATE INDEX ledger_event_run ON ledger_event (run_id, seq);
CREATE INDEX ledger_event_credential ON ledger_event (credential_id, seq);
CREATE INDEX ledger_event_requester_target ON ledger_event (requester, target, seq);

-- Append-only, whoever asks: even a role that may write the table cannot rewrite history.
CREATE FUNCTION ledger_event_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the pg-ephemeral ledger is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER ledger_event_no_update_or_delete
    BEFORE UPDATE OR DELETE ON ledger_event
    FOR EACH ROW EXECUTE FUNCTION ledger_event_append_only();
CREATE TRIGGER ledger_event_no_truncate
    BEFORE TRUNCATE ON ledger_event
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_event_append_only();

GRANT USAGE ON SCHEMA ${flyway:defaultSchema} TO "${ledger_writer}";
GRANT SELECT, INSERT ON ledger_event TO "${ledger_writer}";
