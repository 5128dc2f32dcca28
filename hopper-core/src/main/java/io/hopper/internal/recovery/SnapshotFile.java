package io.hopper.internal.recovery;

import io.hopper.internal.codec.EncodedRecord;
import io.hopper.internal.file.DirectorySync;
import io.hopper.internal.file.FileWindow;
import io.hopper.internal.file.InterruptSafeChannel;
import io.hopper.internal.segment.SegmentFormat;

import java.io.Closeable;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * The memory tier, persisted by a graceful close: {@code snapshot.hop} holds the ring's contents
 * in ring order (records, and the disk markers between them), so that the next open delivers
 * them exactly where they stood. It uses the queue-file frame format with a header of its own:
 *
 * <pre>
 * 0  magic          8  "HOPPERQM"
 * 8  format version 4  2
 * 12 header length  4  40
 * 16 disk limit     8  disk records below this index were announced before the first entry
 * 24 record count   4  records (not markers) in the snapshot, so that damage can be counted
 * 28 generation     8  random, never 0: the cursor file names the snapshot its replay progress
 *                      belongs to, so progress recorded for one snapshot is never applied to
 *                      the next (a power cut between a close's new snapshot and its cursor store)
 * 36 header CRC32C  4
 * (version 1, still read: header length 32, no generation, CRC at 28)
 * then frames: record frames as in queue files, and marker frames (flag MARKER, 8-byte payload:
 * the marker's end index); the record-index field numbers the entries.
 * </pre>
 *
 * Written to {@code snapshot.hop.tmp}, forced, renamed into place and the directory forced, so a crash during close
 * leaves the previous state. The open that finds it replays it lazily (it is never loaded whole)
 * and deletes it once fully delivered. Files are opened as {@link InterruptSafeChannel}s: a close on
 * an interrupted thread writes the snapshot like any other.
 */
public final class SnapshotFile {
    public static final String FILE_NAME = "snapshot.hop";
    static final String TEMP_NAME = FILE_NAME + ".tmp";
    private static final byte[] MAGIC = "HOPPERQM".getBytes(StandardCharsets.US_ASCII);
    /** Header length of the current version. */
    public static final int HEADER = 40;
    /** Bytes the writer gathers per write and the reader reads per read. */
    private static final int BUFFER = 64 * 1024;
    private static final int HEADER_V1 = 32;
    private static final System.Logger LOG = System.getLogger("io.hopper");

    private SnapshotFile() {
    }

    /** Writes a new snapshot beside the live one; {@link #commit()} puts it in place. */
    public static final class Writer implements Closeable {
        private final Path directory;
        private final InterruptSafeChannel channel;
        private final byte[] scratch = new byte[SegmentFormat.FRAME_HEADER_BYTES + 8];
        private final long diskLimit;
        /**
         * Entries gathered for one write: a close with a large memory tier writes many small
         * records, and a system call for each one made the close slower than the records'
         * bytes explain. {@code buffered} bytes of it belong at file offset {@code pos}.
         */
        private final byte[] buffer = new byte[BUFFER];
        private int buffered;
        /** File offset of {@code buffer[0]}: the entries before it are written. */
        private long pos;
        private long entries;
        private int records;

        /** This snapshot's generation (random, not 0). */
        private final long generation = newGeneration();

        public Writer(Path directory, long diskLimit) throws IOException {
            this.directory = directory;
            this.diskLimit = diskLimit;
            this.channel = InterruptSafeChannel.open(directory.resolve(TEMP_NAME), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
            pos = HEADER; // the header goes in last, when the record count is known
        }

        private void writeHeader() throws IOException {
            byte[] h = new byte[HEADER];
            System.arraycopy(MAGIC, 0, h, 0, 8);
            ByteBuffer le = ByteBuffer.wrap(h).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            le.putInt(8, 2).putInt(12, HEADER).putLong(16, diskLimit).putInt(24, records).putLong(28, generation);
            le.putInt(36, crc(h, 36));
            channel.write(0, h, 0, HEADER);
        }

        public void record(EncodedRecord r) throws IOException {
            SegmentFormat.writeFrameHeader(r.buffer(), 0, r.payloadLength(), r.payloadCrc(),
                    SegmentFormat.codecFlags(r.codec()), 1, entries++);
            write(r.buffer(), 0, r.frameLength());
            records++;
        }

        /** Copies a record frame from another snapshot (its payload and flags as they are). */
        void recordFrame(byte[] payload, int off, int len, int flags) throws IOException {
            SegmentFormat.writeFrameHeader(scratch, 0, len, crc(payload, off, len), flags, 1, entries++);
            write(scratch, 0, SegmentFormat.FRAME_HEADER_BYTES);
            write(payload, off, len);
            records++;
        }

        public void marker(long end) throws IOException {
            ByteBuffer.wrap(scratch).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                    .putLong(SegmentFormat.FRAME_HEADER_BYTES, end);
            SegmentFormat.writeFrameHeader(scratch, 0, 8, crc(scratch, SegmentFormat.FRAME_HEADER_BYTES, 8),
                    SegmentFormat.FLAG_MARKER, 0, entries++);
            write(scratch, 0, SegmentFormat.FRAME_HEADER_BYTES + 8);
        }

        /** This snapshot's generation, for the cursor file. */
        public long generation() {
            return generation;
        }

        /** Records written so far (markers not counted). */
        public int records() {
            return records;
        }

        /** Forces the new snapshot and atomically replaces the old one with it. */
        public void commit() throws IOException {
            flush();
            writeHeader();
            channel.force(true);
            channel.close();
            Files.move(directory.resolve(TEMP_NAME), directory.resolve(FILE_NAME), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
            DirectorySync.force(directory); // the rename, before the cursor file counts the snapshot's records
        }

        private void write(byte[] b, int off, int len) throws IOException {
            if (buffered + len > BUFFER) {
                flush();
            }
            if (len > BUFFER) { // a record larger than the buffer goes straight to the file
                channel.write(pos, b, off, len);
                pos += len;
                return;
            }
            System.arraycopy(b, off, buffer, buffered, len);
            buffered += len;
        }

        private void flush() throws IOException {
            if (buffered > 0) {
                channel.write(pos, buffer, 0, buffered);
                pos += buffered;
                buffered = 0;
            }
        }

        /** Abandons an uncommitted snapshot. */
        @Override
        public void close() throws IOException {
            if (channel.isOpen()) {
                channel.close();
                Files.deleteIfExists(directory.resolve(TEMP_NAME));
            }
        }
    }

    /**
     * A snapshot's header as an inspection tool sees it.
     *
     * @param intact    whether the header passes its checks (magic, version, CRC)
     * @param version   1 or 2 (0 when unreadable)
     * @param diskLimit the disk index announced before the snapshot's records
     * @param records   the records it holds
     * @param generation its random generation (version 2), or 0
     * @param bytes     the file's size
     */
    public record Header(boolean intact, int version, long diskLimit, int records, long generation, long bytes) {
    }

    /** Reads {@code snapshot.hop}'s header without writing, removing or moving anything; null when there is none. */
    public static Header inspect(Path directory) throws IOException {
        Path path = directory.resolve(FILE_NAME);
        if (!Files.exists(path)) {
            return null;
        }
        try (InterruptSafeChannel ch = InterruptSafeChannel.open(path, StandardOpenOption.READ)) {
            byte[] h = new byte[HEADER];
            int got = ch.read(0, h, 0, HEADER);
            ByteBuffer le = ByteBuffer.wrap(h).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            int version = got >= HEADER_V1 ? le.getInt(8) : 0;
            boolean intact = headerIntact(h, got, le, version);
            return new Header(intact, intact ? version : 0, intact ? le.getLong(16) : 0, intact ? le.getInt(24) : 0,
                    intact && version == 2 ? le.getLong(28) : 0, ch.size());
        }
    }

    private static boolean headerIntact(byte[] h, int got, ByteBuffer le, int version) {
        return ByteBuffer.wrap(h, 0, 8).equals(ByteBuffer.wrap(MAGIC))
                && (version == 1 && le.getInt(28) == crc(h, 28)
                    || version == 2 && got == HEADER && le.getInt(36) == crc(h, 36) && le.getLong(28) != 0);
    }

    /** Opens the snapshot an earlier close left, or returns {@code null} when there is none (or it is unreadable). */
    public static Reader open(Path directory) throws IOException {
        Files.deleteIfExists(directory.resolve(TEMP_NAME)); // a close that did not finish
        Path path = directory.resolve(FILE_NAME);
        if (!Files.exists(path)) {
            return null;
        }
        InterruptSafeChannel ch = InterruptSafeChannel.open(path, StandardOpenOption.READ);
        byte[] h = new byte[HEADER];
        int got = ch.read(0, h, 0, HEADER);
        ByteBuffer le = ByteBuffer.wrap(h).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int version = got >= HEADER_V1 ? le.getInt(8) : 0;
        boolean intact = headerIntact(h, got, le, version);
        if (!intact) {
            ch.close();
            Path aside = path.resolveSibling(FILE_NAME + ".corrupt");
            Files.move(path, aside, StandardCopyOption.REPLACE_EXISTING);
            LOG.log(Level.WARNING, "hopper: memory snapshot " + path + " is unreadable; the records it held are"
                    + " lost. Moved to " + aside.getFileName() + " for inspection");
            return null;
        }
        try {
            return new Reader(path, ch, le.getLong(16), le.getInt(24), version == 2 ? le.getLong(28) : 0,
                    version == 2 ? HEADER : HEADER_V1);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** Replays a snapshot entry by entry. Used under the front lock only. */
    public static final class Reader implements Closeable {
        /** What {@link #next()} found. */
        public enum Kind { RECORD, MARKER, DAMAGED, DAMAGED_MARKER, END }

        private final Path path;
        private final InterruptSafeChannel channel;
        private final long diskLimit;
        private final int recordCount;
        private int recordsSeen;
        /**
         * The file's size, read once: nothing writes a snapshot that is being read (a close that
         * copies the rest of it writes a new file and renames it over this one, whose bytes this
         * open channel keeps).
         */
        private final long size;
        /**
         * The file, read through one buffer: entries are located in it, not read with two system
         * calls each (a replay of many small records was bound by those calls).
         */
        private final FileWindow window = new FileWindow(BUFFER);
        /** The current entry's payload: {@code length} bytes of {@code payload} from {@code payloadAt}. */
        private byte[] payload;
        private int payloadAt;
        private long pos;
        private final long generation;
        private int length;
        private int flags;
        private long markerEnd;

        Reader(Path path, InterruptSafeChannel channel, long diskLimit, int recordCount, long generation, int headerLength)
                throws IOException {
            this.size = channel.size();
            window.reset(channel);
            this.generation = generation;
            this.pos = headerLength;
            this.path = path;
            this.channel = channel;
            this.diskLimit = diskLimit;
            this.recordCount = recordCount;
        }

        /**
         * Records the snapshot held that were neither returned nor reported damaged: after
         * {@link Kind#END}, those lost to a truncated or unreadable tail.
         */
        public int recordsUnaccounted() {
            return Math.max(0, recordCount - recordsSeen);
        }

        /** The snapshot's generation; 0 for a version-1 snapshot (which has none). */
        public long generation() {
            return generation;
        }

        /** Records the snapshot holds, from its header. */
        public int recordCount() {
            return recordCount;
        }

        /** Disk records below this index were announced before the first entry. */
        public long diskLimit() {
            return diskLimit;
        }

        /**
         * Moves to the next entry. {@link Kind#DAMAGED} means one record failed its checksum and was
         * skipped; {@link Kind#DAMAGED_MARKER} the same for a marker (no record is lost: the disk
         * records it announced are claimed later); {@link Kind#END} means the snapshot is used up
         * (or the rest cannot be read: see {@link #recordsUnaccounted()}).
         */
        public Kind next() throws IOException {
            final int h = SegmentFormat.FRAME_HEADER_BYTES;
            if (!window.ensure(pos, h, size) || !SegmentFormat.frameHeaderValid(window.array(), window.offset(pos))) {
                return Kind.END; // the end, or a header that cannot be trusted: nothing after it can be located
            }
            int at = window.offset(pos);
            length = SegmentFormat.framePayloadLength(window.array(), at);
            flags = SegmentFormat.frameFlags(window.array(), at);
            int payloadCrc = SegmentFormat.framePayloadCrc(window.array(), at);
            if (length < 0 || length > size - pos - h || !window.ensure(pos, h + length, size)) {
                return Kind.END;
            }
            payload = window.array(); // the entry may have been read afresh
            payloadAt = window.offset(pos) + h;
            pos += h + length;
            boolean marker = (flags & SegmentFormat.FLAG_MARKER) != 0;
            if (!marker) {
                recordsSeen++;
            }
            if (crc(payload, payloadAt, length) != payloadCrc) {
                return marker ? Kind.DAMAGED_MARKER : Kind.DAMAGED;
            }
            if (marker) {
                if (length != 8) {
                    return Kind.DAMAGED_MARKER;
                }
                markerEnd = ByteBuffer.wrap(payload).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong(payloadAt);
                return Kind.MARKER;
            }
            return Kind.RECORD;
        }

        /** The current entry's payload starts at {@link #payloadOffset()} of this array, valid until the next {@link #next()}. */
        public byte[] payload() {
            return payload;
        }

        public int payloadOffset() {
            return payloadAt;
        }

        public int payloadLength() {
            return length;
        }

        /** Whether the entry's payload is stored with a codec (not as the serializer's bytes). */
        public boolean compressed() {
            return SegmentFormat.codecOf(flags) != 0;
        }

        /** The entry payload's form: the codec id it is stored with ({@code PayloadCodec}) and its form bits, to pass to the decoder. */
        public int codec() {
            return SegmentFormat.formOf(flags);
        }

        public long markerEnd() {
            return markerEnd;
        }

        /**
         * Copies the entries not yet replayed into {@code out}, in order.
         *
         * @return records that could not be copied because they are damaged
         */
        public long copyRemainingTo(Writer out) throws IOException {
            long damaged = 0;
            for (Kind k = next(); k != Kind.END; k = next()) {
                if (k == Kind.RECORD) {
                    out.recordFrame(payload, payloadAt, length, flags);
                } else if (k == Kind.MARKER) {
                    out.marker(markerEnd);
                } else if (k == Kind.DAMAGED) {
                    damaged++;
                }
            }
            return damaged + recordsUnaccounted();
        }

        /**
         * Deletes the snapshot: every entry has been delivered. The deletion is forced (one
         * directory flush per replayed snapshot): a snapshot that a power cut brought back would
         * deliver its records a second time.
         */
        public void finish() throws IOException {
            close();
            Files.deleteIfExists(path);
            DirectorySync.force(path.getParent());
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }

    private static long newGeneration() {
        long g;
        do {
            g = java.util.concurrent.ThreadLocalRandom.current().nextLong();
        } while (g == 0);
        return g;
    }

    private static int crc(byte[] b, int len) {
        return crc(b, 0, len);
    }

    private static int crc(byte[] b, int off, int len) {
        CRC32C c = new CRC32C();
        c.update(b, off, len);
        return (int) c.getValue();
    }
}
