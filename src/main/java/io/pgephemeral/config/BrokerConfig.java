package io.pgephemeral.config;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.core.bind.annotation.Bindable;

/**
 * Everything an operator sets, under {@code broker.*}. Micronaut maps environment variables onto
 * these keys ({@code BROKER_DB_URL} is {@code broker.db-url}); docs/operators.md lists them all.
 *
 * <p>Durations and numbers are held as they were set, as text: {@link BrokerSettings} reads them,
 * refusing by name what does not read. Micronaut's own conversion would silently put the default
 * in place of a value it cannot convert. Binding text never fails, so every command of the CLI
 * still starts when one setting is wrong, and says which.
 *
 * @param dbUrl             JDBC URL of the target database, where temporary roles are created
 * @param dbUser            the bot's database user
 * @param dbPassword        the bot's password, for local use; prefer {@code dbSecretId}
 * @param dbSecretId        Secrets Manager id of the bot's password (plain string or RDS-shaped JSON)
 * @param dbPasswordRereadInterval least time between two re-reads of that secret after PostgreSQL
 *                          rejected the password (the first re-read is never held back)
 * @param ledgerUrl         JDBC URL of the ledger database; defaults to {@code dbUrl}
 * @param ledgerUser        ledger user; defaults to {@code dbUser}
 * @param ledgerPassword    ledger password; defaults to the bot's password
 * @param dbTls             {@code verify-full} (the default): connections to PostgreSQL verify the
 *                          server; {@code insecure-allow-unverified} leaves the URLs as written
 * @param dbCaBundle        PEM file of the CA certificates that sign the servers' certificates
 *                          (pgjdbc's {@code sslrootcert}), for the target and ledger databases
 * @param targets           allow-list of Sym targets, {@code name=role|role[:noinherit],...}
 * @param maxTtl            longest credential lifetime granted; longer requests are capped
 * @param durationUnit      unit of a bare integer duration from Sym: seconds, minutes or hours
 * @param secretStore       {@code aws} (Secrets Manager) or {@code local} (JSON files)
 * @param secretPrefix      prefix of every secret name the broker writes
 * @param secretDir         directory of the local store
 * @param secretKmsKeyId    KMS key for issued secrets (aws store); AWS's default key when unset
 * @param connectHost       host written into issued credentials; defaults to the host in {@code dbUrl}
 * @param connectPort       port written into issued credentials; defaults to the port in {@code dbUrl}
 * @param connectionLimit   CONNECTION LIMIT of each temporary role
 * @param passwordLength    length of generated passwords
 * @param roleTemplate      template of temporary role names: {requester}, {target}, {suffix}
 * @param markerRole        NOLOGIN role every temporary role is a member of
 * @param reassignOwnedTo   if set, objects left by a temporary role are reassigned to this role at
 *                          deescalate; if unset, such a role is disabled instead of dropped
 * @param creatorRoles      comma-separated NOLOGIN CREATEROLE roles the bot creates logins as (16+)
 * @param lockKey           key of the advisory lock that serialises role DDL
 * @param lockTimeout       how long role DDL waits for that lock
 * @param inProgressTimeout how long an unfinished escalation of a run blocks a retry of that run
 * @param sweepBatchSize    most credentials one sweep acts on; the rest wait for the next sweep
 * @param sweepTimeBudget   how long one sweep may work; keep it below the function's timeout
 * @param sweepLookback     how far back the sweep looks for credentials left open
 * @param invocationTimeout how long one invocation may take outside Lambda (the CLI); on Lambda,
 *                          the time Lambda gives the invocation
 * @param cleanupReserve    of an invocation's time, what is kept for undoing a step that failed or
 *                          ran out of time (at most a third)
 */
@ConfigurationProperties("broker")
public record BrokerConfig(
        @Nullable String dbUrl,
        @Nullable String dbUser,
        @Nullable String dbPassword,
        @Nullable String dbSecretId,
        @Bindable(defaultValue = "30s") String dbPasswordRereadInterval,
        @Nullable String ledgerUrl,
        @Nullable String ledgerUser,
        @Nullable String ledgerPassword,
        @Bindable(defaultValue = "verify-full") String dbTls,
        @Nullable String dbCaBundle,
        @Bindable(defaultValue = "") String targets,
        @Bindable(defaultValue = "12h") String maxTtl,
        @Bindable(defaultValue = "seconds") String durationUnit,
        @Bindable(defaultValue = "aws") String secretStore,
        @Bindable(defaultValue = "pg-ephemeral/") String secretPrefix,
        @Nullable String secretDir,
        @Nullable String secretKmsKeyId,
        @Nullable String connectHost,
        @Nullable String connectPort,
        @Bindable(defaultValue = "5") String connectionLimit,
        @Bindable(defaultValue = "32") String passwordLength,
        @Bindable(defaultValue = "eph_{requester}_{suffix}") String roleTemplate,
        @Bindable(defaultValue = "ephemeral_managed") String markerRole,
        @Nullable String reassignOwnedTo,
        @Nullable String creatorRoles,
        @Bindable(defaultValue = "7262931") String lockKey,
        @Bindable(defaultValue = "10s") String lockTimeout,
        @Bindable(defaultValue = "2m") String inProgressTimeout,
        @Bindable(defaultValue = "200") String sweepBatchSize,
        @Bindable(defaultValue = "40s") String sweepTimeBudget,
        @Bindable(defaultValue = "30d") String sweepLookback,
        @Bindable(defaultValue = "60s") String invocationTimeout,
        @Bindable(defaultValue = "3s") String cleanupReserve) {

    /** The ledger's JDBC URL: its own, or the target database's. */
    public @Nullable String ledgerJdbcUrl() {
        return firstSet(ledgerUrl, dbUrl);
    }

    /** The role the broker writes the ledger as: its own, or the bot. */
    public @Nullable String ledgerRole() {
        return firstSet(ledgerUser, dbUser);
    }

    /** The first of the two that is set and not blank, or null. */
    public static @Nullable String firstSet(@Nullable String a, @Nullable String b) {
        if (a != null && !a.isBlank()) {
            return a;
        }
        return b == null || b.isBlank() ? null : b;
    }
}
