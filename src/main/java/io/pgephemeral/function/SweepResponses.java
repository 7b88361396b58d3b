package io.pgephemeral.function;

import io.pgephemeral.broker.Swept;
import io.pgephemeral.sym.SymResponse;

import java.util.LinkedHashMap;
import java.util.Map;

/** The sweep's counts, in the same body/errors envelope as every other response. */
final class SweepResponses {

    private SweepResponses() {
    }

    static SymResponse of(Swept swept) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("sweep", swept.skipped() ? "skipped: another sweep is running" : "done");
        body.put("expired", swept.expired());
        body.put("abandoned", swept.abandoned());
        body.put("vanished", swept.vanished());
        body.put("orphans", swept.orphans());
        body.put("leftovers", swept.leftovers());
        body.put("more", swept.more());
        return new SymResponse(body, swept.failures());
    }
}
