package io.pgephemeral.cli;

import io.pgephemeral.ledger.AuditQueries;
import io.pgephemeral.ledger.LedgerEntry;
import io.micronaut.context.annotation.Prototype;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.sql.Connection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

@Command(name = "show",
        description = {"Show one credential: who, what, approved by whom, why, and every event with its hash.", "",
                "Exit status 1 when there is no such credential."},
        mixinStandardHelpOptions = true)
@Prototype // a bean, so that the injection points it inherits are filled
public class LedgerShowCommand extends LedgerSubcommand {

    @Parameters(index = "0", paramLabel = "CREDENTIAL", description = "the credential id (a UUID, as 'ledger list' shows it)")
    String credential;

    private UUID id;

    @Override
    String name() {
        return "show";
    }

    @Override
    void validate() {
        try {
            id = UUID.fromString(credential);
        } catch (IllegalArgumentException e) {
            throw new LedgerLogin.Unusable("'" + credential + "' is not a credential id (a UUID such as"
                    + " 0f8fad5b-d9cb-469f-a165-70867728950e)");
        }
    }

    @Override
    int run(Connection ledger) throws Exception {
        AuditQueries queries = new AuditQueries(login.table());
        Optional<AuditQueries.Credential> found = queries.credential(ledger, id);
        if (found.isEmpty()) {
            System.err.println("ledger show: no credential " + id + " in the ledger");
            return 1;
        }
        AuditQueries.Credential c = found.get();
        Text.Table facts = new Text.Table("credential", c.credentialId().toString());
        facts.add("requester", c.requester());
        facts.add("target", c.target());
        facts.add("role", c.roleName());
        facts.add("approver", c.approver());
        facts.add("reason", c.reason());
        facts.add("requested", Text.time(c.requestedAt()));
        facts.add("issued", Text.time(c.issuedAt()));
        facts.add("valid until", Text.time(c.validUntil()));
        facts.add("state", c.state() + (c.active() ? " (active)" : "") + " since " + Text.time(c.stateAt())
                + (c.stateActor() == null ? "" : " by " + c.stateActor()));
        facts.add("run", c.runId() + " (attempt " + c.attempt() + ")");
        facts.add("secret", c.secretId());
        facts.print(System.out);
        System.out.println();

        List<LedgerEntry> events = queries.events(ledger, id);
        Text.Table table = new Text.Table("SEQ", "EVENT", "RECORDED", "ACTOR", "DETAIL", "HASH");
        for (LedgerEntry e : events) {
            table.add(e.seq(), e.event(), Text.time(e.recordedAt()), e.actor(), e.detail(), e.hash());
        }
        table.print(System.out);
        return 0;
    }
}
