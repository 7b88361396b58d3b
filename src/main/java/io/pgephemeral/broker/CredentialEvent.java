package io.pgephemeral.broker;

import java.util.Locale;

/**
 * What can happen to a credential, as the ledger records it. The sets below are the ones every
 * guard and query of the ledger uses; the database's one-close-per-credential index enforces
 * {@link #closes()} (LedgerEventSetsTest compares the two).
 */
public enum CredentialEvent {
    /** The broker is about to create the credential: recorded first, so nothing exists unrecorded. */
    REQUESTED,
    /** The role and the secret exist: the requester may log in. */
    ISSUED,
    /** The escalation failed (or was abandoned) and what it created was removed. */
    FAILED,
    /** Access was ended (deescalate) and the role dropped. */
    REVOKED,
    /** Access was ended, but the role owns objects and could only be disabled. */
    DISABLED,
    /** The credential reached its expiry and the sweep ended it. */
    EXPIRED,
    /** The sweep's note on a credential or role it found in an inconsistent state. */
    RECONCILED;

    /** The name stored in the ledger: lower case, as in the schema's check constraint. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The label: what the ledger, the logs and every message say. */
    @Override
    public String toString() {
        return label();
    }

    /** The event stored as {@code label}. */
    public static CredentialEvent of(String label) {
        for (CredentialEvent e : values()) {
            if (e.label().equals(label)) {
                return e;
            }
        }
        throw new IllegalArgumentException("not a ledger event: " + label);
    }

    /** A credential in this state may be usable, so ending access must act on it. */
    public boolean open() {
        return this == REQUESTED || this == ISSUED;
    }

    /** Closes its credential: at most one such event per credential. */
    public boolean closes() {
        return this == REVOKED || this == DISABLED || this == EXPIRED || this == FAILED;
    }

    /** After it the credential is no longer open: a close, or the sweep's reconciled note. */
    public boolean ends() {
        return closes() || this == RECONCILED;
    }

    /**
     * Ends its run: access was taken away, so no credential of the run may start or be issued
     * after it. A failed attempt does not end its run (it may be retried).
     */
    public boolean endsRun() {
        return this == REVOKED || this == DISABLED || this == EXPIRED;
    }

    /** Starts or continues a credential: refused once its run has ended. */
    public boolean startsOrIssues() {
        return open();
    }
}
