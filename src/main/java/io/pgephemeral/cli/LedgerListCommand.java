package io.pgephemeral.cli;

import io.pgephemeral.ledger.AuditQueries;
import io.micronaut.context.annotation.Prototype;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.sql.Connection;
import java.time.Instant;
import java.util.List;

@Command(name = "list",
        description = {"List credentials with their latest state, newest first.", "",
                "--since and --until select credentials whose time (requested until ended, or until now "
                + "while active) overlaps that interval. Times are dates (2026-11-23, midnight UTC) or "
                + "ISO-8601 times with an offset (2026-11-23T10:00:00Z)."},
        mixinStandardHelpOptions = true)
@Prototype // a bean, so that the injection points it inherits are filled
public class LedgerListCommand extends LedgerSubcommand {

    @Option(names = "--requester", paramLabel = "EMAIL", description = "only this requester's credentials")
    String requester;

    @Option(names = "--target", description = "only credentials for this target")
    String target;

    @Option(names = "--approver", paramLabel = "EMAIL", description = "only credentials this person approved")
    String approver;

    @Option(names = "--state", description = "only credentials in this state: requested, issued, failed, revoked, disabled, expired, reconciled")
    String state;

    @Option(names = "--since", paramLabel = "TIME", description = "only credentials that were active at or after TIME")
    String since;

    @Option(names = "--until", paramLabel = "TIME", description = "only credentials requested before TIME")
    String until;

    @Option(names = "--active", description = "only credentials that may be usable now (issued and not yet ended)")
    boolean active;

    @Option(names = "--limit", defaultValue = "200", description = "show at most this many (default: ${DEFAULT-VALUE})")
    int limit;

    private AuditQueries.Filter filter;

    @Override
    String name() {
        return "list";
    }

    @Override
    void validate() {
        if (state != null && !AuditQueries.STATES.contains(state)) {
            throw new LedgerLogin.Unusable("--state '" + state + "' is not one of requested, issued, failed, revoked,"
                    + " disabled, expired, reconciled");
        }
        if (limit < 1) {
            throw new LedgerLogin.Unusable("--limit must be at least 1");
        }
        Instant from = since == null ? null : Text.parseTime("--since", since);
        Instant to = until == null ? null : Text.parseTime("--until", until);
        if (from != null && to != null && !from.isBefore(to)) {
            throw new LedgerLogin.Unusable("--since must be before --until");
        }
        filter = new AuditQueries.Filter(requester, target, approver, state, from, to, active);
    }

    @Override
    int run(Connection ledger) throws Exception {
        List<AuditQueries.Credential> found = new AuditQueries(login.table()).credentials(ledger, filter, limit);
        if (found.isEmpty()) {
            System.out.println("no credentials match");
            return 0;
        }
        Text.Table table = new Text.Table("CREDENTIAL", "REQUESTER", "TARGET", "APPROVER", "REQUESTED", "VALID UNTIL",
                "STATE", "ENDED", "ENDED BY", "REASON");
        for (AuditQueries.Credential c : found) {
            table.add(c.credentialId(), c.requester(), c.target(), c.approver(), Text.time(c.requestedAt()),
                    Text.time(c.validUntil()), c.state(), Text.time(c.endedAt()),
                    c.active() ? "" : c.stateActor(), c.reason());
        }
        table.print(System.out);
        if (found.size() == limit) {
            System.err.println("(the newest " + limit + " shown; --limit shows more)");
        }
        return 0;
    }
}
