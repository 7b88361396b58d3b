package io.pgephemeral.cli;

import io.micronaut.json.JsonMapper;
import io.pgephemeral.config.BrokerConfig;
import io.pgephemeral.secrets.CallerIdentity;
import io.pgephemeral.secrets.LocalFileStore;
import io.pgephemeral.secrets.RequesterCredential;
import io.pgephemeral.secrets.RequesterCredential.CredentialUnavailable;
import io.pgephemeral.secrets.RequesterSecrets;
import io.pgephemeral.broker.RequestRefused;
import io.pgephemeral.secrets.SecretNames;
import io.pgephemeral.secrets.SecretsFactory;
import io.pgephemeral.secrets.SecretsManagerStore;
import jakarta.inject.Inject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.sts.StsClient;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "creds",
        description = {"Print your current credential for TARGET, or run a command with it.", "",
                "Reads your own secret from Secrets Manager with your own AWS credentials (the SDK's usual "
                + "chain, or --profile), or from the local store (BROKER_SECRET_STORE=local). Your email comes "
                + "from your SSO session (STS GetCallerIdentity) unless given with --requester.",
                "",
                "  psql \"$(pg-ephemeral creds readonly)\"",
                "  pg-ephemeral creds readonly --exec psql",
                "  pg-ephemeral creds readonly --exec -- psql -c 'select 1'",
                "",
                "--exec passes the password in PGPASSWORD, never on a command line. Exit status 1 when you have "
                + "no usable credential (none, expired, or access denied), 2 on bad input; with --exec, the "
                + "command's own status."},
        mixinStandardHelpOptions = true)
public class CredsCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "TARGET", description = "the Sym target you were granted, e.g. readonly")
    String target;

    @Parameters(index = "1..*", paramLabel = "COMMAND", description = "with --exec: the command and its arguments")
    List<String> command = new ArrayList<>();

    @Option(names = "--format", defaultValue = "uri", description = "uri (postgresql://...), env (export PG... lines), pgpass or json (default: ${DEFAULT-VALUE})")
    String format;

    @Option(names = "--exec", description = "run COMMAND with PGHOST, PGPORT, PGDATABASE, PGUSER and PGPASSWORD set")
    boolean exec;

    @Option(names = "--requester", paramLabel = "EMAIL", description = "your email as Sym knows it (default: your SSO session's name; required with the local store)")
    String requester;

    @Option(names = "--profile", description = "AWS profile (default: the SDK's usual chain)")
    String profile;

    @Option(names = "--region", description = "AWS region (default: the SDK's usual chain)")
    String region;

    @Inject
    BrokerConfig config;

    @Inject
    JsonMapper json;

    @Override
    public Integer call() {
        String problem = badInput();
        if (problem != null) {
            System.err.println("creds: " + problem);
            return 2;
        }
        try {
            RequesterCredential credential = credential();
            Duration left = Duration.between(Instant.now(), credential.expiresAt());
            System.err.println("credential for '" + target + "' as " + credential.user() + ", valid until "
                    + credential.expiresAt() + " (" + Math.max(1, left.toMinutes()) + " min left)");
            return exec ? run(credential) : print(credential);
        } catch (CredentialUnavailable e) {
            System.err.println("creds: " + e.getMessage());
            return 1;
        } catch (RequestRefused e) {
            // A requester or target no secret can be named for: bad input, like the checks above.
            System.err.println("creds: " + e.getMessage());
            return 2;
        }
    }

    private String badInput() {
        if (!List.of("uri", "env", "pgpass", "json").contains(format.toLowerCase(Locale.ROOT))) {
            return "--format '" + format + "' is not uri, env, pgpass or json";
        }
        if (exec && command.isEmpty()) {
            return "--exec needs a command, e.g. --exec psql";
        }
        if (!exec && !command.isEmpty()) {
            return "unexpected '" + command.get(0) + "': to run a command with the credential, use --exec";
        }
        if (target.isBlank()) {
            return "TARGET must not be empty";
        }
        if (isLocal() && requester == null) {
            return "--requester is required with the local store";
        }
        return null;
    }

    private boolean isLocal() {
        return "local".equals(config.secretStore());
    }

    private RequesterCredential credential() {
        SecretNames names = new SecretNames(config.secretPrefix());
        if (isLocal()) {
            LocalFileStore store = new LocalFileStore(SecretsFactory.localDirectory(config), names, json);
            return new RequesterSecrets(RequesterSecrets.localFiles(store, json), names, json)
                    .current(requester, target, Instant.now());
        }
        AwsCredentialsProvider identity = profile == null ? DefaultCredentialsProvider.builder().build()
                : ProfileCredentialsProvider.builder().profileName(profile).build();
        try (SecretsManagerClient secrets = aws(SecretsManagerClient.builder(), identity)) {
            String who = requester != null ? requester : whoAmI(identity);
            return new RequesterSecrets(RequesterSecrets.secretsManager(secrets), names, json)
                    .current(who, target, Instant.now());
        } catch (SdkException e) {
            throw new CredentialUnavailable("could not set up the AWS client: " + SecretsManagerStore.describe(e));
        }
    }

    private String whoAmI(AwsCredentialsProvider identity) {
        try (StsClient sts = aws(StsClient.builder(), identity)) {
            return CallerIdentity.requesterOf(sts.getCallerIdentity().arn());
        } catch (SdkException e) {
            throw new CredentialUnavailable("could not tell who you are (STS GetCallerIdentity: "
                    + SecretsManagerStore.describe(e) + "); log in (aws sso login) or give --requester");
        }
    }

    private <C, B extends software.amazon.awssdk.awscore.client.builder.AwsClientBuilder<B, C>
            & software.amazon.awssdk.core.client.builder.SdkSyncClientBuilder<B, C>> C aws(B builder,
                                                                                   AwsCredentialsProvider identity) {
        builder.httpClientBuilder(UrlConnectionHttpClient.builder()).credentialsProvider(identity);
        if (profile != null) {
            builder.overrideConfiguration(o -> o.defaultProfileName(profile));
        }
        if (region != null) {
            builder.region(Region.of(region));
        }
        return builder.build();
    }

    private int print(RequesterCredential c) {
        String out = switch (format.toLowerCase(Locale.ROOT)) {
            case "env" -> CredentialFormats.env(c);
            case "pgpass" -> CredentialFormats.pgpass(c);
            case "json" -> {
                try {
                    yield new String(json.writeValueAsBytes(CredentialFormats.json(c)), StandardCharsets.UTF_8) + "\n";
                } catch (IOException e) {
                    throw new CredentialUnavailable("could not write JSON");
                }
            }
            default -> CredentialFormats.uri(c) + "\n";
        };
        System.out.print(out);
        System.out.flush();
        return 0;
    }

    /** The command inherits this terminal; the credential travels only in its environment. */
    private int run(RequesterCredential c) {
        ProcessBuilder pb = new ProcessBuilder(command).inheritIO();
        pb.environment().putAll(CredentialFormats.variables(c));
        try {
            return pb.start().waitFor();
        } catch (IOException e) {
            System.err.println("creds: cannot run '" + command.get(0) + "': " + reason(e));
            return 127;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 130;
        }
    }

    /** Why an exec failed, without the JDK's "Cannot run program" preamble. */
    private static String reason(IOException e) {
        String m = String.valueOf(e.getMessage());
        int i = m.lastIndexOf(": ");
        return i >= 0 ? m.substring(i + 2) : m;
    }
}
