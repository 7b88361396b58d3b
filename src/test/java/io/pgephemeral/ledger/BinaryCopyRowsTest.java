package io.pgephemeral.ledger;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The binary COPY reader on bytes made here, in the layout PostgreSQL documents for COPY BINARY. */
class BinaryCopyRowsTest {

    private static final byte[] SIGNATURE = "PGCOPY\n\377\r\n\0".getBytes(StandardCharsets.ISO_8859_1);

    /** Builds a COPY stream: header with an extension, rows of (int8, text, int4), trailer. */
    private static final class Stream {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final DataOutputStream out = new DataOutputStream(bytes);

        Stream header(int extension) throws IOException {
            out.write(SIGNATURE);
            out.writeInt(0);
            out.writeInt(extension);
            out.write(new byte[extension]);
            return this;
        }

        Stream row(long id, String text, Integer number) throws IOException {
            out.writeShort(3);
            out.writeInt(8);
            out.writeLong(id);
            if (text == null) {
                out.writeInt(-1);
            } else {
                byte[] t = text.getBytes(StandardCharsets.UTF_8);
                out.writeInt(t.length);
                out.write(t);
            }
            if (number == null) {
                out.writeInt(-1);
            } else {
                out.writeInt(4);
                out.writeInt(number);
            }
            return this;
        }

        Stream trailer() throws IOException {
            out.writeShort(-1);
            return this;
        }

        byte[] bytes() {
            return bytes.toByteArray();
        }
    }

    /** Hands the bytes over in pieces of {@code size}, as the server's CopyData messages may split them anywhere. */
    private static BinaryCopyRows.Source inPieces(byte[] all, int size) {
        Deque<byte[]> pieces = new ArrayDeque<>();
        for (int from = 0; from < all.length; from += size) {
            pieces.add(Arrays.copyOfRange(all, from, Math.min(all.length, from + size)));
        }
        return pieces::poll;
    }

    @Test
    void readsRowsWithNullsAcrossAnySplitOfTheMessages() throws Exception {
        byte[] copy = new Stream().header(5).row(1, "héllo", 42).row(-7, null, null).row(Long.MAX_VALUE, "", -1)
                .trailer().bytes();
        for (int size : new int[] {1, 3, 7, 64, copy.length}) {
            BinaryCopyRows rows = new BinaryCopyRows(inPieces(copy, size), 3);
            assertTrue(rows.next());
            assertEquals(1, rows.int8(0));
            assertEquals("héllo", rows.string(1));
            assertEquals(6, rows.length(1), "UTF-8 bytes, not characters");
            assertEquals(42, rows.int4(2));

            assertTrue(rows.next());
            assertEquals(-7, rows.int8(0));
            assertTrue(rows.isNull(1));
            assertNull(rows.string(1));
            assertTrue(rows.isNull(2));

            assertTrue(rows.next());
            assertEquals(Long.MAX_VALUE, rows.int8(0));
            assertEquals("", rows.string(1));
            assertFalse(rows.isNull(1));
            assertEquals(-1, rows.int4(2));

            assertFalse(rows.next(), "the trailer ends the rows, split in pieces of " + size);
        }
    }

    @Test
    void aRowLargerThanTheBufferGrowsIt() throws Exception {
        String big = "x".repeat(200_000);
        BinaryCopyRows rows = new BinaryCopyRows(inPieces(new Stream().header(0).row(9, big, 1).trailer().bytes(),
                8192), 3);
        assertTrue(rows.next());
        assertEquals(big, rows.string(1));
        assertFalse(rows.next());
    }

    @Test
    void truncatedInputIsAClearErrorNotAWrongRow() throws Exception {
        byte[] copy = new Stream().header(0).row(1, "abc", 2).trailer().bytes();
        int headerLength = SIGNATURE.length + 8;
        // Cut inside the header, inside a field's length, inside a field's bytes, and before the trailer.
        for (int cut : new int[] {0, 5, headerLength + 1, headerLength + 2 + 4 + 3, copy.length - 2}) {
            BinaryCopyRows rows = new BinaryCopyRows(inPieces(Arrays.copyOf(copy, cut), 4), 3);
            SQLException e = assertThrows(SQLException.class, () -> {
                while (rows.next()) {
                    // read to the end
                }
            }, "cut at " + cut);
            assertTrue(e.getMessage().startsWith("COPY ended "), e.getMessage());
        }
    }

    @Test
    void somethingElseThanBinaryCopyIsRefused() throws Exception {
        byte[] text = "1\tabc\t2\n\\.\n".repeat(3).getBytes(StandardCharsets.US_ASCII);
        SQLException e = assertThrows(SQLException.class, () -> new BinaryCopyRows(inPieces(text, 100), 3).next());
        assertEquals("COPY did not send its binary format", e.getMessage());
    }

    @Test
    void aRowOfAnotherWidthOrANegativeLengthIsRefused() throws Exception {
        byte[] copy = new Stream().header(0).row(1, "a", 1).trailer().bytes();
        SQLException width = assertThrows(SQLException.class, () -> new BinaryCopyRows(inPieces(copy, 16), 4).next());
        assertEquals("COPY sent a row of 3 fields; 4 were asked for", width.getMessage());

        ByteArrayOutputStream bad = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bad);
        out.write(new Stream().header(0).bytes());
        out.writeShort(1);
        out.writeInt(-2);
        SQLException length = assertThrows(SQLException.class,
                () -> new BinaryCopyRows(inPieces(bad.toByteArray(), 16), 1).next());
        assertEquals("COPY sent a field of length -2", length.getMessage());
    }
}
