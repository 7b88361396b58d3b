-- A credential ends once. The first closing event (revoked, disabled, expired or failed) wins;
-- a second one, from a deescalate racing the sweep or its own escalation, is refused by this
-- index and the loser knows the credential is already closed. 'reconciled' notes leftovers the
-- sweep removed later and may follow a closing event. A credential's state is its closing event
-- if it has one, else its latest event: a late 'issued' cannot reopen a closed credential.
CREATE UNIQUE INDEX ledger_event_one_close_per_credential
    ON ledger_event (credential_id) WHERE event IN ('revoked', 'disabled', 'expired', 'failed');

-- The sweep looks credentials up by their role.
CREATE INDEX ledger_event_role ON ledger_event (role_name, seq);
