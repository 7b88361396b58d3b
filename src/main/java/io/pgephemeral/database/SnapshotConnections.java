package io.pgephemeral.database;

/**
 * A pool of server connections that must not be inside a Lambda SnapStart snapshot: a connection
 * in it would be shared by every environment restored from it, with its server session long gone.
 * Each adapter's pool implements it; the snapshot hook closes them all without knowing which
 * adapters there are.
 */
public interface SnapshotConnections {

    /** The pool's name, for the message when it could not be emptied. */
    String poolName();

    /**
     * Closes every connection, waiting briefly for those in use (see {@link Pools#closeIdle}); false
     * if some were still open when the wait ran out.
     */
    boolean closeIdleConnections();
}
