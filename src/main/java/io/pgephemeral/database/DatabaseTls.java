package io.pgephemeral.database;

import io.pgephemeral.broker.ErrorLine;
import io.micronaut.core.annotation.Nullable;
import io.pgephemeral.config.BrokerConfig;
import org.postgresql.Driver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertPathValidatorException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How the broker's connections to PostgreSQL are protected: TLS with the server's certificate
 * checked against a CA bundle and its host name (pgjdbc's {@code sslmode=verify-full}). pgjdbc's
 * default, {@code prefer}, encrypts when it can and verifies nothing, so anyone on the network
 * path could stand in for the database and read the bot's login, the SCRAM verifiers it sends and
 * the ledger, or change what is granted.
 *
 * <p>The rule: a connection to any host other than this machine's loopback, or to any host at all
 * once a CA bundle is set, must verify. The broker adds {@code sslmode=verify-full} and the
 * bundle as {@code sslrootcert}; a URL that asks for less, or replaces the verification (its own
 * {@code sslfactory} or {@code sslhostnameverifier}), is a configuration error naming the
 * setting. Only {@code BROKER_DB_TLS=insecure-allow-unverified} leaves URLs as they are.
 *
 * <p>{@link #secure} is the one place every connection's URL passes through: the target and
 * ledger pools, and the command line's ledger and migrate commands.
 *
 * @param verify   false only when the operator opted out
 * @param caBundle PEM file of the CA certificates to trust, or null
 */
public record DatabaseTls(boolean verify, @Nullable Path caBundle) {

    public static final String MODE_SETTING = "BROKER_DB_TLS";
    public static final String CA_SETTING = "BROKER_DB_CA_BUNDLE";
    public static final String VERIFY_FULL = "verify-full";
    public static final String INSECURE = "insecure-allow-unverified";

    private static final Logger LOG = LoggerFactory.getLogger(DatabaseTls.class);
    private static final Pattern IPV4_LOOPBACK = Pattern.compile("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
    private static final Pattern UNVERIFIED_HOST = Pattern.compile("The hostname (\\S+) could not be verified");
    /** Parameters that replace pgjdbc's own certificate or host-name checks. */
    private static final List<String> REPLACES_VERIFICATION = List.of("sslfactory", "sslhostnameverifier");

    /** From {@code BROKER_DB_TLS} and {@code BROKER_DB_CA_BUNDLE}; a mistake names the setting. */
    public static DatabaseTls of(BrokerConfig config) {
        String mode = config.dbTls() == null ? VERIFY_FULL : config.dbTls().strip().toLowerCase(Locale.ROOT);
        if (!mode.equals(VERIFY_FULL) && !mode.equals(INSECURE)) {
            throw new IllegalStateException(MODE_SETTING + " must be " + VERIFY_FULL + " (the default) or "
                    + INSECURE + ", got '" + config.dbTls() + "'");
        }
        Path bundle = null;
        String ca = BrokerConfig.firstSet(config.dbCaBundle(), null);
        if (ca != null) {
            bundle = Path.of(ca);
            if (!Files.isRegularFile(bundle) || !Files.isReadable(bundle)) {
                throw new IllegalStateException(CA_SETTING + ": " + ca + " is not a readable file (a PEM bundle of"
                        + " CA certificates, e.g. RDS's global-bundle.pem)");
            }
        }
        return new DatabaseTls(mode.equals(VERIFY_FULL), bundle);
    }

    /**
     * The URL to connect with: {@code url} with {@code sslmode=verify-full} and the CA bundle
     * added where the rule above asks for them.
     *
     * @param setting what the operator calls the URL, for the error message
     * @throws IllegalStateException when the URL would connect without verifying the server
     */
    public String secure(String url, String setting) {
        Properties p = Driver.parseURL(url, null);
        if (p == null) {
            throw new IllegalStateException(setting + " is not a PostgreSQL JDBC URL (jdbc:postgresql://host:port/db)");
        }
        String hosts = p.getProperty("PGHOST", "localhost");
        if (!verify) {
            LOG.warn("{}={}: the connection to {} is not verified; whoever controls the network path can read"
                    + " and change everything the broker sends", MODE_SETTING, INSECURE, hosts);
            return url;
        }
        boolean loopback = List.of(hosts.split(",")).stream().allMatch(DatabaseTls::isLoopback);
        if (loopback && caBundle == null) {
            return url; // this machine: nothing on a network path to verify against
        }
        String mode = p.getProperty("sslmode");
        if (mode != null && !mode.toLowerCase(Locale.ROOT).equals(VERIFY_FULL)) {
            throw weakened(setting, "sslmode=" + mode, hosts);
        }
        String ssl = p.getProperty("ssl");
        if (mode == null && ssl != null && !ssl.equalsIgnoreCase("true")) {
            throw weakened(setting, "ssl=" + ssl, hosts);
        }
        for (String parameter : REPLACES_VERIFICATION) {
            if (p.getProperty(parameter) != null) {
                throw weakened(setting, parameter + "=" + p.getProperty(parameter), hosts);
            }
        }
        String rootCert = p.getProperty("sslrootcert");
        if (rootCert != null && caBundle != null && !Path.of(rootCert).toAbsolutePath().normalize()
                .equals(caBundle.toAbsolutePath().normalize())) {
            throw new IllegalStateException(setting + ": its sslrootcert (" + rootCert + ") is not " + CA_SETTING
                    + " (" + caBundle + "); name the CA bundle in one place");
        }
        if (rootCert == null && caBundle == null) {
            throw new IllegalStateException(setting + ": connections to " + hosts + " must verify the server"
                    + " (sslmode=verify-full), which needs the CA that signed its certificate: set " + CA_SETTING
                    + " to a PEM bundle (for RDS, global-bundle.pem from AWS), or accept unverified TLS with "
                    + MODE_SETTING + "=" + INSECURE);
        }
        StringBuilder out = new StringBuilder(url);
        char last = url.charAt(url.length() - 1);
        String separator = url.indexOf('?') < 0 ? "?" : last == '?' || last == '&' ? "" : "&";
        if (mode == null) {
            out.append(separator).append("sslmode=").append(VERIFY_FULL);
            separator = "&";
        }
        if (rootCert == null) {
            out.append(separator).append("sslrootcert=")
                    .append(URLEncoder.encode(caBundle.toString(), StandardCharsets.UTF_8));
        }
        return out.toString();
    }

    private static IllegalStateException weakened(String setting, String parameter, String hosts) {
        return new IllegalStateException(setting + ": " + parameter + " would connect to " + hosts
                + " without verifying the server's certificate and name; remove it (sslmode=" + VERIFY_FULL
                + " is the default) or, to accept that, set " + MODE_SETTING + "=" + INSECURE);
    }

    /** Only literal loopback: a name that merely resolves to it could resolve elsewhere tomorrow. */
    static boolean isLoopback(String host) {
        String h = host.strip().toLowerCase(Locale.ROOT);
        return h.equals("localhost") || h.equals("::1") || h.equals("[::1]") || IPV4_LOOPBACK.matcher(h).matches();
    }

    /**
     * A one-line account of a failed TLS verification anywhere in {@code e}'s causes, or empty if
     * the failure was something else. pgjdbc words these as "SSL error: PKIX path building failed:
     * ..." or "The hostname ... could not be verified", under a pool's "connection is not
     * available": neither says what to fix.
     */
    public static Optional<String> explain(Throwable e) {
        for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
            String message = String.valueOf(t.getMessage());
            Matcher host = UNVERIFIED_HOST.matcher(message);
            if (host.find()) {
                return Optional.of("TLS to PostgreSQL failed: the server's certificate does not name "
                        + host.group(1) + "; connect by a name the certificate holds");
            }
            if (t instanceof CertPathValidatorException || message.contains("PKIX path")
                    || message.contains("unable to find valid certification path")) {
                return Optional.of("TLS to PostgreSQL failed: the server's certificate is not signed by a CA in "
                        + CA_SETTING + " (or the URL's sslrootcert)");
            }
            if (t instanceof SSLException) {
                return Optional.of("TLS to PostgreSQL failed: " + ErrorLine.firstLine(message, t.getClass().getSimpleName()));
            }
        }
        return Optional.empty();
    }
}
