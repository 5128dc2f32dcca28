package io.hopper.inspect;

import io.hopper.Serializer;
import io.hopper.internal.codec.KryoSerializer;
import io.hopper.internal.codec.PayloadCodec;
import io.hopper.internal.codec.TypeRegistry;
import io.hopper.internal.recovery.DirectoryLock;
import io.hopper.internal.recovery.ReadCursorFile;
import io.hopper.internal.recovery.SnapshotFile;
import io.hopper.internal.segment.SegmentFormat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A channel directory read from the outside, offline, without writing anything in it: its queue
 * files frame by frame (every checksum checked), the committed position and the memory snapshot.
 * What {@code hopper-cli} and operators' own tools build on; the one read-only window onto the
 * on-disk format (docs/FORMAT.md) that hopper exports. It is its own reader of the frames
 * ({@code QueueFileReader}), sharing only the format's constants, checksums and payload codecs with
 * the library, so a scan also cross-checks the library's reader.
 *
 * <p>Use it on a directory no channel has open ({@link #checkUsable}); a scan of a directory a
 * running channel writes sees a moment's state, possibly with a torn tail where a frame was being
 * written.
 */
public final class ChannelDirectory {
    /** The committed position's file. */
    public static final String CURSOR_FILE = ReadCursorFile.FILE_NAME;
    /** The memory tier a graceful close saved. */
    public static final String SNAPSHOT_FILE = SnapshotFile.FILE_NAME;
    /** The directory lock's file. */
    public static final String LOCK_FILE = DirectoryLock.FILE_NAME;

    private ChannelDirectory() {
    }

    /**
     * One queue file as scanned.
     *
     * @param name           its file name
     * @param sequence       its sequence number (from the name)
     * @param bytes          its size
     * @param headerProblem  why its file header cannot be read, or null
     * @param records        intact records in it
     * @param compressed     of those, records stored with a payload codec
     * @param firstIndex     the first intact record's index, -1 if none
     * @param lastIndex      the last intact record's index, -1 if none
     * @param sealed         it ends with an END frame
     * @param damagedRegions regions of bytes that hold no intact frame, with intact frames after them
     * @param damagedFrames  frames whose payload fails its checksum or does not decode as a block
     * @param recordsLost    records the damage costs
     * @param tornTailBytes  non-zero bytes after the last intact frame (a crash while writing)
     * @param writtenBytes   where the scan stopped
     */
    public record FileScan(String name, long sequence, long bytes, String headerProblem, long records, long compressed,
                    long firstIndex, long lastIndex, boolean sealed, long damagedRegions, long damagedFrames,
                    long recordsLost, long tornTailBytes, long writtenBytes) {
        /** {@return whether anything in the file fails its checks} */
        public boolean damaged() {
            return headerProblem != null || damagedRegions > 0 || damagedFrames > 0 || recordsLost > 0
                    || tornTailBytes > 0;
        }
    }

    /**
     * The whole directory as scanned.
     *
     * @param directory      the directory
     * @param locked         a running process holds its lock
     * @param files          its queue files, oldest first
     * @param cursor         its committed position
     * @param snapshot       its memory snapshot's header, or null when there is none
     * @param snapshotFrames what the snapshot's frames hold, or null when it has none to read
     * @param setAside       files an earlier recovery set aside ({@code *.corrupt})
     * @param temporary      leftovers of interrupted writes and rewrites
     */
    public record Scan(Path directory, boolean locked, List<FileScan> files, Cursor cursor,
                       SnapshotHeader snapshot, SnapshotScan snapshotFrames, List<String> setAside,
                       List<String> temporary) {
        /** {@return whether anything in the directory fails its checks} */
        public boolean damaged() {
            return files.stream().anyMatch(FileScan::damaged) || (cursor.present() && cursor.committed() == null)
                    || (snapshot != null && !snapshot.intact()) || (snapshotFrames != null && snapshotFrames.damaged())
                    || !setAside.isEmpty();
        }

        /** {@return the intact records in the queue files} */
        public long records() {
            return files.stream().mapToLong(FileScan::records).sum();
        }

        /** {@return the queue files' bytes} */
        public long bytes() {
            return files.stream().mapToLong(FileScan::bytes).sum();
        }
    }

    /**
     * The committed position, as {@code cursor.hop} says.
     *
     * @param present     the file exists
     * @param version     its format version (0 when no copy is intact)
     * @param intactSlots copies that pass their checks (the file keeps two)
     * @param committed   the newest intact copy, or null when none is intact
     */
    public record Cursor(boolean present, int version, int intactSlots, Committed committed) {
    }

    /**
     * One intact copy of the committed position.
     *
     * @param readIndex         the first disk record not yet consumed
     * @param nextIndex         the index the next record written gets
     * @param nextSequence      the sequence number of the next queue file
     * @param snapshotRecords   records of the live memory snapshot
     * @param snapshotDelivered of those, records already delivered
     */
    public record Committed(long readIndex, long nextIndex, long nextSequence, long snapshotRecords,
                            long snapshotDelivered) {
    }

    /**
     * The memory snapshot's header.
     *
     * @param intact     the header passes its checks
     * @param version    its format version
     * @param diskLimit  the disk records announced before the snapshot's first entry
     * @param records    records it holds
     * @param generation its generation (0 for version 1)
     * @param bytes      the file's size
     */
    public record SnapshotHeader(boolean intact, int version, long diskLimit, int records, long generation, long bytes) {
    }

    /**
     * One record as stored: in a queue file (its index) or in the snapshot (its position there).
     *
     * @param index   the record's index in the disk stream, or its position in the snapshot
     * @param codec   the payload codec id its frame names (docs/FORMAT.md); records of a block are
     *                given as their raw bytes, codec 0
     * @param form    what the raw bytes are: the serializer's, or a plain {@code byte[]} or
     *                {@code String} record's own
     * @param payload the payload as stored
     */
    public record StoredRecord(long index, int codec, RecordForm form, byte[] payload) {
        /**
         * Checks the components.
         *
         * @param index   the record's index in the disk stream, or its position in the snapshot
         * @param codec   the payload codec id its frame names
         * @param form    what the raw bytes are
         * @param payload the payload as stored
         * @throws NullPointerException if {@code form} or {@code payload} is null
         */
        public StoredRecord {
            java.util.Objects.requireNonNull(form, "form");
            java.util.Objects.requireNonNull(payload, "payload");
        }

        /** {@return whether the payload is stored with a codec, not as the serializer's bytes} */
        public boolean compressed() {
            return codec != PayloadCodec.STORED.id;
        }

        /** {@return the codec's name ({@code LZ4}, or {@code codec N} for an id this build does not know)} */
        public String codecName() {
            return codec == PayloadCodec.LZ4.id ? "LZ4" : codec == PayloadCodec.STORED.id ? "stored" : "codec " + codec;
        }

        /**
         * {@return the raw bytes: the serializer's, or a plain record's own (see {@link #form()})}
         *
         * @throws io.hopper.CorruptDataException if the payload does not decode, or its codec is unknown
         */
        public byte[] raw() {
            return PayloadCodec.byId(codec).rawCopy(payload, 0, payload.length);
        }

        /**
         * The record as the channel gets it: a plain record's value ({@code byte[]} or
         * {@code String}), or the serializer's decoding of the raw bytes.
         *
         * @param serializer decodes a {@link RecordForm#SERIALIZED} record (for hopper's default,
         *                   {@link ChannelDirectory#serializer}); a plain record never meets it
         * @return the record
         * @throws IOException if the serializer refuses the bytes
         * @throws io.hopper.CorruptDataException if the payload does not decode, or its codec is unknown
         */
        public Object value(Serializer<?> serializer) throws IOException {
            byte[] raw = raw();
            return switch (form) {
                case BYTES -> raw;
                case UTF8 -> new String(raw, java.nio.charset.StandardCharsets.UTF_8);
                case SERIALIZED -> serializer.deserialize(raw, 0, raw.length);
            };
        }
    }

    /** What a stored record's raw bytes are (docs/FORMAT.md, "Frame flags"). */
    public enum RecordForm {
        /** The serializer's bytes: decode them with the channel's serializer ({@link #serializer}). */
        SERIALIZED,
        /** A {@code byte[]} record as it is: the raw bytes are the record. */
        BYTES,
        /** A {@code String} record as its UTF-8. */
        UTF8;

        /**
         * The form that frame flags {@code flags} name.
         *
         * @param formBits the frame's form bits
         * @return the form; {@link #SERIALIZED} when none is set
         * @throws io.hopper.CorruptDataException when both are set (no version writes that)
         */
        static RecordForm of(int formBits) {
            return switch (formBits & PayloadCodec.FORM_BITS) {
                case 0 -> SERIALIZED;
                case PayloadCodec.FORM_BYTES -> BYTES;
                case PayloadCodec.FORM_UTF8 -> UTF8;
                default -> throw new io.hopper.CorruptDataException("record form bits " + Integer.toHexString(formBits)
                        + " are unknown to this version of hopper");
            };
        }
    }

    /** Thrown when the directory is not one hopper could have written, or a process holds it. */
    public static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message);
        }
    }

    /**
     * Refuses a directory that does not exist or that a running channel holds.
     *
     * @param dir the channel directory
     * @throws Refused     with the reason
     * @throws IOException if the lock file cannot be checked
     */
    public static void checkUsable(Path dir) throws Refused, IOException {
        if (!Files.isDirectory(dir)) {
            throw new Refused("not a directory: " + dir);
        }
        if (DirectoryLock.heldElsewhere(dir)) {
            throw new Refused("a running process has the channel in " + dir + " open (it holds "
                    + dir.resolve(DirectoryLock.FILE_NAME) + "); stop it, or close the channel, and try again");
        }
    }

    /**
     * A queue file of the directory.
     *
     * @param path     its path
     * @param sequence the sequence its name gives
     */
    public record Segment(Path path, long sequence) {
    }

    /**
     * Whether a file name is a queue file's.
     *
     * @param fileName a file name, without its directory
     * @return whether it names a queue file
     */
    public static boolean isQueueFileName(String fileName) {
        return SegmentFormat.parseFileName(fileName) >= 0;
    }

    /**
     * The directory's queue files.
     *
     * @param dir the channel directory
     * @return its queue files, oldest (lowest sequence) first
     * @throws IOException if the directory cannot be listed
     */
    public static List<Segment> segments(Path dir) throws IOException {
        List<Segment> out = new ArrayList<>();
        try (Stream<Path> list = Files.list(dir)) {
            for (Path p : list.toList()) {
                long seq = SegmentFormat.parseFileName(p.getFileName().toString());
                if (seq >= 0) {
                    out.add(new Segment(p, seq));
                }
            }
        }
        out.sort((a, b) -> Long.compare(a.sequence(), b.sequence()));
        return out;
    }

    /**
     * Reads the whole directory once: every queue file, the cursor, the snapshot and its frames.
     *
     * @param dir the channel directory
     * @return what it holds
     * @throws IOException if a file cannot be read
     */
    public static Scan scan(Path dir) throws IOException {
        List<FileScan> files = new ArrayList<>();
        for (Segment seg : segments(dir)) {
            files.add(walk(seg.path(), seg.sequence(), null));
        }
        List<String> setAside = new ArrayList<>();
        List<String> temporary = new ArrayList<>();
        try (Stream<Path> list = Files.list(dir)) {
            for (Path p : list.sorted().toList()) {
                String name = p.getFileName().toString();
                if (name.endsWith(".corrupt")) {
                    setAside.add(name);
                } else if (name.endsWith(".tmp") || name.endsWith(".compacting")) {
                    temporary.add(name);
                }
            }
        }
        SnapshotHeader snapshot = snapshotHeader(dir);
        SnapshotScan frames = snapshot != null && snapshot.intact() ? walkSnapshot(dir, snapshot, null) : null;
        return new Scan(dir, DirectoryLock.heldElsewhere(dir), files, cursor(dir), snapshot, frames,
                setAside, temporary);
    }

    /**
     * The committed position, read without writing, removing or repairing anything.
     *
     * @param dir the channel directory
     * @return what {@code cursor.hop} says
     * @throws IOException if it cannot be read
     */
    public static Cursor cursor(Path dir) throws IOException {
        ReadCursorFile.Inspection c = ReadCursorFile.inspect(dir);
        ReadCursorFile.State st = c.state();
        return new Cursor(c.present(), c.version(), c.intactSlots(), st == null ? null
                : new Committed(st.readIndex(), st.nextIndex(), st.nextSequence(), st.snapshotRecords(),
                st.snapshotConsumed()));
    }

    /**
     * The memory snapshot's header.
     *
     * @param dir the channel directory
     * @return the header, or null when there is no snapshot
     * @throws IOException if it cannot be read
     */
    public static SnapshotHeader snapshotHeader(Path dir) throws IOException {
        SnapshotFile.Header h = SnapshotFile.inspect(dir);
        return h == null ? null
                : new SnapshotHeader(h.intact(), h.version(), h.diskLimit(), h.records(), h.generation(), h.bytes());
    }

    /**
     * Hopper's default serializer for {@code type}, naming classes through the directory's type
     * registry ({@code types.hop}), read from a private copy so that nothing in the directory is
     * written: what decodes the records a channel of that type stored there.
     *
     * @param type the channel's record type
     * @param dir  the channel directory
     * @param <T>  the record type
     * @return a serializer for {@link StoredRecord#raw()} bytes
     * @throws IOException if the registry cannot be copied or read
     */
    public static <T> Serializer<T> serializer(Class<T> type, Path dir) throws IOException {
        Serializer<T> ser = Serializer.kryo(type);
        Path registry = dir.resolve(TypeRegistry.FILE_NAME);
        if (ser instanceof KryoSerializer<T> k && Files.exists(registry)) {
            Path copy = Files.createTempDirectory("hopper-types-");
            copy.toFile().deleteOnExit();
            Path file = Files.copy(registry, copy.resolve(TypeRegistry.FILE_NAME));
            file.toFile().deleteOnExit();
            ser = k.withRegistry(TypeRegistry.open(copy));
        }
        return ser;
    }

    /** Receives the records of a walk, in order. */
    public interface RecordVisitor {
        /**
         * One intact record.
         *
         * @param record the record as stored
         * @return false to stop the walk
         * @throws IOException to stop the walk with an error
         */
        boolean record(StoredRecord record) throws IOException;
    }

    /**
     * Walks a queue file frame by frame, checking every checksum, and gives each intact record to
     * {@code visitor} (when not null; records of a block one by one). The walk stops when the visitor returns false; the counts
     * then cover only the frames read. Damage at the end with no intact frame behind it is a torn
     * tail (a crash while the file was being written; recovery cuts it off), not a damaged region.
     *
     * @param file     a queue file
     * @param sequence its sequence number ({@link Segment#sequence()})
     * @param visitor  receives the records, or null to count only
     * @return what the file holds, as far as the walk went
     * @throws IOException if the file cannot be read, or the visitor throws it
     */
    public static FileScan walk(Path file, long sequence, RecordVisitor visitor) throws IOException {
        return QueueFileReader.walk(file, sequence, visitor);
    }

    /**
     * What a snapshot's frames hold.
     *
     * @param records       intact records
     * @param markers       intact disk markers
     * @param damagedFrames frames that fail their checks
     * @param complete      every record the header counts was found, intact or damaged
     */
    public record SnapshotScan(long records, long markers, long damagedFrames, boolean complete) {
        /** {@return whether anything in the snapshot fails its checks} */
        public boolean damaged() {
            return damagedFrames > 0 || !complete;
        }
    }

    /**
     * Walks {@code snapshot.hop}'s frames (records and markers, in the queue-file frame format after
     * its header), checking every checksum; gives each intact record to {@code visitor}, and
     * stops when it returns false.
     *
     * @param dir     the channel directory
     * @param header  the snapshot's header ({@link #snapshotHeader}), intact
     * @param visitor receives the records, or null to count only
     * @return what the frames hold
     * @throws IOException if the file cannot be read, or the visitor throws it
     */
    public static SnapshotScan walkSnapshot(Path dir, SnapshotHeader header, RecordVisitor visitor) throws IOException {
        return QueueFileReader.walkSnapshot(dir, header, visitor);
    }
}
