package io.pgephemeral.ledger;

import io.micronaut.core.annotation.Nullable;

import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.Arrays;

/**
 * The rows of a binary {@code COPY ... TO STDOUT (FORMAT binary)}: each {@link #next} makes one
 * whole row available in {@link #buffer()}, its fields at {@link #offset} with {@link #length} (-1
 * for NULL). The buffer is reused, and grows only to hold the largest row.
 *
 * <p>The format is PostgreSQL's: a signature, flags and a header extension; per row a 16-bit field
 * count and each field as a 32-bit length and its bytes; a field count of -1 as the trailer. Values
 * stay in the server's binary encoding, for the caller to read in place.
 */
final class BinaryCopyRows {

    private static final byte[] SIGNATURE = "PGCOPY\n\377\r\n\0".getBytes(StandardCharsets.ISO_8859_1);

    /** Where the COPY's data comes from: pgjdbc's {@code CopyOut::readFromCopy}, or bytes in a test. */
    interface Source {
        /** The next piece of data, of any length; null at the end of the COPY. */
        byte @Nullable [] read() throws SQLException;
    }

    private final Source copy;
    private final int columns;
    private final int[] offsets;
    private final int[] lengths;
    private byte[] buffer = new byte[1 << 16];
    private int position;
    private int limit;
    private boolean started;

    /** @param columns how many fields every row must have: the columns the COPY asked for */
    BinaryCopyRows(Source copy, int columns) {
        this.copy = copy;
        this.columns = columns;
        this.offsets = new int[columns];
        this.lengths = new int[columns];
    }

    byte[] buffer() {
        return buffer;
    }

    /** Makes the next row available; false after the trailer, when the COPY has been read to its end. */
    boolean next() throws SQLException {
        // The previous row is done with: move what follows it to the front.
        System.arraycopy(buffer, position, buffer, 0, limit - position);
        limit -= position;
        position = 0;
        if (!started) {
            header();
            started = true;
        }
        need(2, "in the middle of a row");
        int fields = (short) (((buffer[position] & 0xff) << 8) | (buffer[position + 1] & 0xff));
        position += 2;
        if (fields == -1) { // the trailer; then the end of the COPY
            while (copy.read() != null) {
                position = limit;
            }
            return false;
        }
        if (fields != columns) {
            throw new SQLException("COPY sent a row of " + fields + " fields; " + columns + " were asked for");
        }
        for (int i = 0; i < columns; i++) {
            need(4, "in the middle of a row");
            int n = readInt();
            if (n < -1) {
                throw new SQLException("COPY sent a field of length " + n);
            }
            lengths[i] = n;
            offsets[i] = position;
            if (n > 0) {
                need(n, "in the middle of a row");
                position += n;
            }
        }
        return true;
    }

    boolean isNull(int column) {
        return lengths[column] < 0;
    }

    int offset(int column) {
        return offsets[column];
    }

    int length(int column) {
        return lengths[column];
    }

    /**
     * The field as a big-endian 64-bit integer (int8, timestamptz). Not checked against the
     * field's length: the caller knows its columns' types, and a field changed to another size
     * reads as a value whose hash does not match.
     */
    long int8(int column) {
        long v = 0;
        for (int i = offsets[column], end = i + 8; i < end; i++) {
            v = (v << 8) | (buffer[i] & 0xff);
        }
        return v;
    }

    /** The field as a big-endian 32-bit integer (int4); see {@link #int8}. */
    int int4(int column) {
        int i = offsets[column];
        return ((buffer[i] & 0xff) << 24) | ((buffer[i + 1] & 0xff) << 16) | ((buffer[i + 2] & 0xff) << 8)
                | (buffer[i + 3] & 0xff);
    }

    /** A text field as a string, for messages. */
    @Nullable String string(int column) {
        return isNull(column) ? null : new String(buffer, offsets[column], lengths[column], StandardCharsets.UTF_8);
    }

    private void header() throws SQLException {
        need(SIGNATURE.length + 8, "before its header was complete");
        if (!Arrays.equals(SIGNATURE, 0, SIGNATURE.length, buffer, 0, SIGNATURE.length)) {
            throw new SQLException("COPY did not send its binary format");
        }
        position = SIGNATURE.length + 4; // then the flags, which hold nothing for us
        int extension = readInt();
        if (extension < 0) {
            throw new SQLException("COPY sent a header extension of length " + extension);
        }
        need(extension, "before its header was complete");
        position += extension;
    }

    private int readInt() {
        int i = position;
        position += 4;
        return ((buffer[i] & 0xff) << 24) | ((buffer[i + 1] & 0xff) << 16) | ((buffer[i + 2] & 0xff) << 8)
                | (buffer[i + 3] & 0xff);
    }

    /** Reads messages until {@code n} bytes from the position are in the buffer. */
    private void need(int n, String where) throws SQLException {
        while (limit - position < n) {
            byte[] message = copy.read();
            if (message == null) {
                throw new SQLException("COPY ended " + where);
            }
            if (limit + message.length > buffer.length) {
                buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, limit + message.length));
            }
            System.arraycopy(message, 0, buffer, limit, message.length);
            limit += message.length;
        }
    }
}
