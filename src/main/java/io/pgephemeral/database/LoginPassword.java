package io.pgephemeral.database;

/**
 * Where a pool's login password comes from. Asked at every new connection, so that a password
 * renewed at its source is what the next login uses.
 */
public interface LoginPassword {

    /** The password to log in with now. */
    String current();

    /**
     * After PostgreSQL rejected {@code rejected} (SQLSTATE 28P01): another password to try once.
     * Throws {@link IllegalStateException}, saying what to do, when there is none.
     */
    String renewAfterRejection(String rejected);

    /** A password set in configuration: nothing to re-read, so a rejection says which setting to fix. */
    static LoginPassword fixed(String password, String setting) {
        return new LoginPassword() {
            @Override
            public String current() {
                return password;
            }

            @Override
            public String renewAfterRejection(String rejected) {
                throw new IllegalStateException(setting + " is fixed and cannot be re-read: set it to the current password");
            }

            @Override
            public String toString() {
                return "the password in " + setting;
            }
        };
    }
}
