package io.hopper.internal.recovery;

import io.hopper.internal.segment.PositionalIo;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * The durable read position: {@code cursor.hop} holds the disk-stream index of the first record
 * not yet consumed, and the stream's high-water marks (the next record index and the next file
 * sequence), so that indices never go back even when every queue file has been consumed and
 * deleted: the snapshot and the cursor refer to them. Updates are atomic: the new value is written to {@code cursor.hop.tmp},
 * forced, and renamed over the old file, so a crash leaves either the old or the new cursor,
 * never a torn one (and a damaged one is detected by its checksum and ignored).
 *
 * <pre>
 * 0  magic          8  "HOPPERQC"
 * 8  format version 4  1
 * 12 reserved       4  0
 * 16 read index     8  first record not yet consumed
 * 24 next index     8  index the next appended record gets
 * 32 next sequence  8  sequence number of the next queue file
 * 40 snapshot size  8  records in the live memory snapshot (0 when there is none), so that a
 *                      snapshot that goes missing is counted as lost
 * 48 CRC32C         4  of bytes 0..47
 * </pre>
 */
public final class ReadCursorFile {
    public static final String FILE_NAME = "cursor.hop";
    static final String TEMP_NAME = FILE_NAME + ".tmp";
    private static final byte[] MAGIC = "HOPPERQC".getBytes(StandardCharsets.US_ASCII);
    private static final int SIZE = 52;
    private static final int CRC_AT = 48;

    /** A committed position. */
    public record State(long readIndex, long nextIndex, long nextSequence, long snapshotRecords) {
    }
    private static final System.Logger LOG = System.getLogger("io.hopper");

    private ReadCursorFile() {
    }

    /** The committed state, or {@code null} when there is none (or it is damaged: then everything on disk is delivered again). */
    public static State load(Path directory) throws IOException {
        Files.deleteIfExists(directory.resolve(TEMP_NAME)); // an update the process did not finish
        byte[] b;
        try {
            b = Files.readAllBytes(directory.resolve(FILE_NAME));
        } catch (NoSuchFileException e) {
            return null;
        }
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        if (b.length != SIZE || !ByteBuffer.wrap(b, 0, 8).equals(ByteBuffer.wrap(MAGIC)) || bb.getInt(8) != 1
                || bb.getInt(CRC_AT) != crc(b)) {
            LOG.log(Level.WARNING, "hopper: read cursor " + directory.resolve(FILE_NAME)
                    + " is damaged; delivering every record still on disk (some may come again)");
            return null;
        }
        return new State(bb.getLong(16), bb.getLong(24), bb.getLong(32), bb.getLong(40));
    }

    /** Records {@code state} durably (forced to the device) and atomically. */
    public static void store(Path directory, State state) throws IOException {
        store(directory, state, true);
    }

    /**
     * Records {@code state} atomically; {@code force} also forces it to the device (survives a power
     * loss, costs a device flush), otherwise it survives the death of the process only.
     */
    public static void store(Path directory, State state, boolean force) throws IOException {
        byte[] b = new byte[SIZE];
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        bb.put(MAGIC).putInt(1).putInt(0).putLong(state.readIndex()).putLong(state.nextIndex())
                .putLong(state.nextSequence()).putLong(state.snapshotRecords());
        bb.putInt(CRC_AT, crc(b));
        Path tmp = directory.resolve(TEMP_NAME);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            PositionalIo.writeFully(ch, 0, b, 0, b.length);
            if (force) {
                ch.force(true);
            }
        }
        Files.move(tmp, directory.resolve(FILE_NAME), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
    }

    private static int crc(byte[] b) {
        CRC32C c = new CRC32C();
        c.update(b, 0, CRC_AT);
        return (int) c.getValue();
    }
}
