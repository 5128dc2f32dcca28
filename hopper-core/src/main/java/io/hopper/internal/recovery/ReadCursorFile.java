package io.hopper.internal.recovery;

import io.hopper.internal.file.DirectorySync;
import io.hopper.internal.file.InterruptSafeChannel;

import java.io.Closeable;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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
 * deleted: the snapshot and the cursor refer to them.
 *
 * <p><b>Two slots.</b> The file holds two copies of the state, each with a sequence number and a
 * checksum, 4 KiB apart (never in one device sector or one page write); the newest intact one is
 * the state. An update overwrites, in place, the slot that does not hold the newest <em>forced</em>
 * state, and a forced update ({@code commit()}) is then flushed with one {@code fdatasync}. So a
 * power cut during any update, forced or not, leaves the last forced state readable: an unforced
 * update (the automatic store before a file is deleted) can be lost or torn, never take a
 * commit with it. It is the double-written header of database files. No rename, no directory
 * flush per commit; the file's name is made durable once, when it is created.
 *
 * <pre>
 * slot at offset 0 and at offset 4096, 80 bytes each:
 * 0  magic          8  "HOPPERQC"
 * 8  format version 4  2
 * 12 slot           4  0 or 1
 * 16 sequence       8  incremented by every update; the newest intact slot wins
 * 24 read index     8  first record not yet consumed
 * 32 next index     8  index the next appended record gets
 * 40 next sequence  8  sequence number of the next queue file
 * 48 snapshot size  8  records in the live memory snapshot (0 when there is none), so that a
 *                      snapshot that goes missing is counted as lost
 * 56 snapshot read  8  of those, how many were delivered before this state was stored: a
 *                      reopen skips them, so a commit during the replay holds for them too
 * 64 snapshot id    8  the generation of the snapshot those counts are about (0: none)
 * 72 CRC32C         4  of bytes 0..71
 * 76 reserved       4  0
 * </pre>
 *
 * A version-1 file (one 52-byte copy, replaced by rename) is still read, and rewritten as version
 * 2 at the first update.
 *
 * <p>Interrupts: every file is opened as an {@link InterruptSafeChannel}, so a commit, an automatic
 * store or a close on an interrupted thread stores the position like any other.
 */
public final class ReadCursorFile implements Closeable {
    public static final String FILE_NAME = "cursor.hop";
    static final String TEMP_NAME = FILE_NAME + ".tmp";
    private static final byte[] MAGIC = "HOPPERQC".getBytes(StandardCharsets.US_ASCII);
    static final int SLOT_BYTES = 80;
    static final int SLOT_STRIDE = 4096;
    static final int FILE_BYTES = SLOT_STRIDE + SLOT_BYTES;
    private static final int CRC_AT = 72;
    private static final int V1_SIZE = 52;
    private static final int V1_CRC_AT = 48;
    private static final System.Logger LOG = System.getLogger("io.hopper");

    /** A committed position. */
    public record State(long readIndex, long nextIndex, long nextSequence, long snapshotRecords,
                        long snapshotConsumed, long snapshotGeneration) {
        public State(long readIndex, long nextIndex, long nextSequence, long snapshotRecords) {
            this(readIndex, nextIndex, nextSequence, snapshotRecords, 0, 0);
        }
    }

    /** What {@link #read} found: the newest intact state, its slot and sequence; {@code slot} -1 for a version-1 file. */
    record Found(State state, int slot, long sequence) {
    }

    private final Path directory;
    /** Open on a version-2 file; null until the first update creates (or converts) it. Caller's lock. */
    private InterruptSafeChannel channel;
    /** The slot holding the newest forced state (-1: none yet). Caller's lock. */
    private int durableSlot;
    /** Sequence of the newest state written. Caller's lock. */
    private long sequence;
    private final byte[] slot = new byte[SLOT_BYTES];
    /** The state found at open; null when none. */
    private final State loaded;

    private ReadCursorFile(Path directory, State loaded, InterruptSafeChannel channel, int durableSlot, long sequence) {
        this.directory = directory;
        this.loaded = loaded;
        this.channel = channel;
        this.durableSlot = durableSlot;
        this.sequence = sequence;
    }

    /**
     * Opens the cursor file for updates (one instance per open channel; its caller serializes
     * updates). An existing version-2 file is forced once, so that whichever slot is newest (maybe
     * written by a process that died before forcing it) is durable before the other one is
     * overwritten.
     */
    public static ReadCursorFile open(Path directory) throws IOException {
        Files.deleteIfExists(directory.resolve(TEMP_NAME)); // an update an older version did not finish
        Found found = read(directory);
        if (found == null || found.slot() < 0) {
            return new ReadCursorFile(directory, found == null ? null : found.state(), null, -1, 0);
        }
        InterruptSafeChannel ch = InterruptSafeChannel.open(directory.resolve(FILE_NAME), StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        try {
            ch.force(false);
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        return new ReadCursorFile(directory, found.state(), ch, found.slot(), found.sequence());
    }

    /** The committed state this file held when opened, or {@code null} when there was none (or it was damaged). */
    public State loaded() {
        return loaded;
    }

    /**
     * What {@code cursor.hop} holds, read without writing anything (an inspection tool's view).
     *
     * @param present     whether the file exists
     * @param version     its format version (1 or 2), 0 when absent or unreadable
     * @param intactSlots copies that pass their checksum (version 2 has two slots)
     * @param state       the newest intact state, or null
     */
    public record Inspection(boolean present, int version, int intactSlots, State state) {
    }

    /** Reads {@code cursor.hop} without writing, removing or repairing anything. */
    public static Inspection inspect(Path directory) throws IOException {
        byte[] b = bytes(directory.resolve(FILE_NAME));
        if (b == null) {
            return new Inspection(false, 0, 0, null);
        }
        Parsed p = parse(b);
        return new Inspection(true, p.best() == null ? 0 : p.version(), p.intact(), p.best() == null ? null
                : p.best().state());
    }

    /** The newest intact copy in a cursor file's bytes (or null), how many copies are intact, and the version. */
    private record Parsed(Found best, int intact, int version) {
    }

    private static Parsed parse(byte[] b) {
        Found v1 = readVersion1(b);
        if (v1 != null) {
            return new Parsed(v1, 1, 1);
        }
        Found best = null;
        int intact = 0;
        for (int s = 0; s < 2; s++) {
            Found f = readSlot(b, s);
            if (f != null) {
                intact++;
                if (best == null || f.sequence() > best.sequence()) {
                    best = f;
                }
            }
        }
        return new Parsed(best, intact, 2);
    }

    /** The first {@link #FILE_BYTES} of the file, or null when it does not exist. */
    private static byte[] bytes(Path file) throws IOException {
        try (InterruptSafeChannel ch = InterruptSafeChannel.open(file, StandardOpenOption.READ)) {
            int n = (int) Math.min(ch.size(), FILE_BYTES);
            byte[] b = new byte[n];
            n = ch.read(0, b, 0, n);
            return n < b.length ? java.util.Arrays.copyOf(b, n) : b;
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** The committed state, or {@code null} when there is none (or it is damaged: then everything on disk is delivered again). */
    public static State load(Path directory) throws IOException {
        Files.deleteIfExists(directory.resolve(TEMP_NAME));
        Found f = read(directory);
        return f == null ? null : f.state();
    }

    private static Found read(Path directory) throws IOException {
        Path file = directory.resolve(FILE_NAME);
        byte[] b = bytes(file);
        if (b == null) {
            return null;
        }
        Found best = parse(b).best();
        if (best == null) {
            LOG.log(Level.WARNING, "hopper: read cursor " + file + " is damaged (no intact copy); delivering"
                    + " every record still on disk (some may come again)");
        }
        return best;
    }

    private static Found readSlot(byte[] b, int s) {
        int at = s * SLOT_STRIDE;
        if (b.length < at + SLOT_BYTES || !ByteBuffer.wrap(b, at, 8).equals(ByteBuffer.wrap(MAGIC))) {
            return null;
        }
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        if (bb.getInt(at + 8) != 2 || bb.getInt(at + 12) != s || bb.getInt(at + CRC_AT) != crc(b, at, CRC_AT)) {
            return null;
        }
        return new Found(new State(bb.getLong(at + 24), bb.getLong(at + 32), bb.getLong(at + 40),
                bb.getLong(at + 48), bb.getLong(at + 56), bb.getLong(at + 64)), s, bb.getLong(at + 16));
    }

    private static Found readVersion1(byte[] b) {
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        if (b.length != V1_SIZE || !ByteBuffer.wrap(b, 0, 8).equals(ByteBuffer.wrap(MAGIC)) || bb.getInt(8) != 1
                || bb.getInt(V1_CRC_AT) != crc(b, 0, V1_CRC_AT)) {
            return null;
        }
        return new Found(new State(bb.getLong(16), bb.getLong(24), bb.getLong(32), bb.getLong(40)), -1, 0);
    }

    /** Records {@code state} durably (forced to the device). */
    public void store(State state) throws IOException {
        store(state, true);
    }

    /**
     * Records {@code state}; {@code force} also forces it to the device (survives a power loss,
     * costs one device flush), otherwise it survives the death of the process, and a power cut
     * leaves it or the last forced state.
     */
    public void store(State state, boolean force) throws IOException {
        if (channel == null) {
            create(state);
            return;
        }
        int target = 1 - durableSlot;
        long seq = sequence + 1;
        encode(state, target, seq);
        channel.write((long) target * SLOT_STRIDE, slot, 0, SLOT_BYTES);
        sequence = seq;
        if (force) {
            channel.force(false);
            durableSlot = target;
        }
    }

    /**
     * The first update of this directory (or of a version-1 file): the whole file is written beside
     * the old one, forced, renamed into place and the directory forced, so the name is durable from
     * now on and every later update is an in-place slot write.
     */
    private void create(State state) throws IOException {
        byte[] file = new byte[FILE_BYTES];
        encode(state, 0, 1);
        System.arraycopy(slot, 0, file, 0, SLOT_BYTES);
        Path tmp = directory.resolve(TEMP_NAME);
        Path target = directory.resolve(FILE_NAME);
        try (InterruptSafeChannel ch = InterruptSafeChannel.open(tmp, StandardOpenOption.CREATE,
                StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(0, file, 0, file.length);
            ch.force(true);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        DirectorySync.force(directory);
        channel = InterruptSafeChannel.open(target, StandardOpenOption.READ, StandardOpenOption.WRITE);
        durableSlot = 0;
        sequence = 1;
    }

    private void encode(State state, int target, long seq) {
        ByteBuffer bb = ByteBuffer.wrap(slot).order(ByteOrder.LITTLE_ENDIAN);
        bb.put(0, MAGIC).putInt(8, 2).putInt(12, target).putLong(16, seq).putLong(24, state.readIndex())
                .putLong(32, state.nextIndex()).putLong(40, state.nextSequence()).putLong(48, state.snapshotRecords())
                .putLong(56, state.snapshotConsumed()).putLong(64, state.snapshotGeneration()).putInt(76, 0);
        bb.putInt(CRC_AT, crc(slot, 0, CRC_AT));
    }

    /** Writes {@code state} durably through a short-lived instance (tools and tests). */
    public static void store(Path directory, State state) throws IOException {
        try (ReadCursorFile f = open(directory)) {
            f.store(state, true);
        }
    }

    @Override
    public void close() throws IOException {
        InterruptSafeChannel ch = channel;
        channel = null;
        if (ch != null) {
            ch.close();
        }
    }

    private static int crc(byte[] b, int off, int len) {
        CRC32C c = new CRC32C();
        c.update(b, off, len);
        return (int) c.getValue();
    }
}
