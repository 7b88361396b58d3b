package io.pgephemeral.cli;

import io.pgephemeral.config.BrokerConfig;
import io.pgephemeral.json.JsonTree;
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
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.profiles.ProfileFile;
import software.amazon.awssdk.profiles.ProfileFileLocation;
import software.amazon.awssdk.profiles.ProfileFileSystemSetting;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.sts.StsClient;

import java.io.IOException;
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
            LocalFileStore store = new LocalFileStore(SecretsFactory.localDirectory(config), names);
            return new RequesterSecrets(RequesterSecrets.localFiles(store), names)
                    .current(requester, target, Instant.now());
        }
        String named = namedProfile();
        AwsCredentialsProvider identity = identity(named);
        Region where = region(named);
        try (SecretsManagerClient secrets = aws(SecretsManagerClient.builder(), identity, where)) {
            String who = requester != null ? requester : whoAmI(identity, where, named);
            return new RequesterSecrets(RequesterSecrets.secretsManager(secrets), names)
                    .current(who, target, Instant.now());
        } catch (SdkException e) {
            throw new CredentialUnavailable("could not set up the AWS client: " + SecretsManagerStore.describe(e));
        }
    }

    /**
     * The profile asked for by --profile or AWS_PROFILE; null for the SDK's default chain. Read
     * where and in the order the SDK reads it (its system property first), and without the SDK's
     * fallback to "default", which nobody asked for by name.
     */
    private String namedProfile() {
        if (profile != null) {
            return profile;
        }
        ProfileFileSystemSetting setting = ProfileFileSystemSetting.AWS_PROFILE;
        String named = System.getProperty(setting.property());
        if (named == null) {
            named = System.getenv(setting.environmentVariable());
        }
        return named == null || named.isBlank() ? null : named;
    }

    /**
     * Your AWS credentials, found before any call: the SDK's own answer when there are none lists
     * every provider it tried in one line of up to 1,500 characters and suggests nothing, and
     * --requester, which the old message suggested, does not help without credentials.
     */
    private AwsCredentialsProvider identity(String named) {
        if (named != null) {
            ProfileFile files;
            try {
                files = ProfileFile.defaultProfileFile();
            } catch (RuntimeException e) {
                throw new CredentialUnavailable("cannot read your AWS config files (" + profileFiles() + "): "
                        + LedgerSubcommand.firstLine(e));
            }
            if (files.profile(named).isEmpty()) {
                String from = profile != null ? "--profile" : "AWS_PROFILE";
                throw new CredentialUnavailable("profile '" + named + "' (" + from + ") is not in " + profileFiles()
                        + ": `aws configure list-profiles` lists yours, `aws configure sso --profile " + named
                        + "` adds it");
            }
        }
        AwsCredentialsProvider identity = profile == null ? DefaultCredentialsProvider.builder().build()
                : ProfileCredentialsProvider.builder().profileName(profile).build();
        try {
            identity.resolveCredentials();
        } catch (RuntimeException e) {
            throw new CredentialUnavailable(noCredentials(named, e));
        }
        return identity;
    }

    private static String noCredentials(String named, RuntimeException e) {
        String why = String.valueOf(e.getMessage());
        String login = "aws sso login --profile " + (named == null ? "NAME" : named);
        if (why.contains("SSO") && (why.contains("expired") || why.contains("invalid"))) {
            return "your AWS SSO session has expired: run `" + login + "`";
        }
        if (named != null) {
            return "profile '" + named + "' gave no AWS credentials: run `" + login + "` (or `aws configure --profile "
                    + named + "` for access keys)";
        }
        return "no AWS credentials found: run `" + login + "` and give --profile NAME or set AWS_PROFILE=NAME"
                + " (`aws configure list-profiles` lists yours)";
    }

    private static String profileFiles() {
        return ProfileFileLocation.configurationFilePath() + " or " + ProfileFileLocation.credentialsFilePath();
    }

    /** The region, found before any call, for the same reason as the credentials. */
    private Region region(String named) {
        try {
            if (region != null) {
                return Region.of(region);
            }
            DefaultAwsRegionProviderChain.Builder chain = DefaultAwsRegionProviderChain.builder();
            if (named != null) {
                chain.profileName(named);
            }
            return chain.build().getRegion();
        } catch (RuntimeException e) {
            throw new CredentialUnavailable("no AWS region: give --region (e.g. --region us-east-1), set AWS_REGION,"
                    + " or put region in your AWS profile");
        }
    }

    private String whoAmI(AwsCredentialsProvider identity, Region where, String named) {
        try (StsClient sts = aws(StsClient.builder(), identity, where)) {
            return CallerIdentity.requesterOf(sts.getCallerIdentity().arn());
        } catch (AwsServiceException e) {
            String code = e.awsErrorDetails() == null ? "" : e.awsErrorDetails().errorCode();
            if (List.of("ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId", "SignatureDoesNotMatch")
                    .contains(code)) {
                throw new CredentialUnavailable("AWS refused your credentials (" + code + "): log in again, e.g. `aws sso"
                        + " login --profile " + (named == null ? "NAME" : named) + "`");
            }
            throw cannotTell(e);
        } catch (SdkException e) {
            throw cannotTell(e);
        }
    }

    /** With working credentials, only STS itself failed: naming yourself avoids the call. */
    private static CredentialUnavailable cannotTell(SdkException e) {
        return new CredentialUnavailable("could not tell who you are (STS GetCallerIdentity: "
                + SecretsManagerStore.describe(e) + "); give your email with --requester");
    }

    private <C, B extends software.amazon.awssdk.awscore.client.builder.AwsClientBuilder<B, C>
            & software.amazon.awssdk.core.client.builder.SdkSyncClientBuilder<B, C>> C aws(B builder,
                                                                                   AwsCredentialsProvider identity,
                                                                                   Region where) {
        builder.httpClientBuilder(UrlConnectionHttpClient.builder()).credentialsProvider(identity).region(where);
        if (profile != null) {
            builder.overrideConfiguration(o -> o.defaultProfileName(profile));
        }
        return builder.build();
    }

    private int print(RequesterCredential c) {
        String out = switch (format.toLowerCase(Locale.ROOT)) {
            case "env" -> CredentialFormats.env(c);
            case "pgpass" -> CredentialFormats.pgpass(c);
            case "json" -> JsonTree.string(CredentialFormats.json(c)) + "\n";
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
