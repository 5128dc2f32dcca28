package io.hopper.internal.recovery;

import io.hopper.Compression;
import io.hopper.Serializer;
import io.hopper.internal.codec.RecordCodec;
import io.hopper.internal.segment.SegmentFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The two small state files, {@code cursor.hop} and {@code snapshot.hop}: round trips, atomic replacement, damage. */
class StateFilesTest {

    @TempDir
    Path dir;

    static final class Text implements Serializer<String> {
        @Override
        public void serialize(String value, OutputStream out) throws IOException {
            out.write(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String deserialize(byte[] bytes, int offset, int length) {
            return new String(bytes, offset, length, StandardCharsets.UTF_8);
        }
    }

    private final RecordCodec<String> codec = new RecordCodec<>(new Text(), Compression.NONE,
            SegmentFormat.FRAME_HEADER_BYTES);

    // ---- cursor.hop ----------------------------------------------------------------------

    @Test
    void cursorRoundTripsLargeValuesAndUpdatesInPlace() throws IOException {
        assertNull(ReadCursorFile.load(dir));
        ReadCursorFile.State s = new ReadCursorFile.State(Long.MAX_VALUE - 1, 1L << 40, 7, 123_456, 1_000, -42);
        ReadCursorFile.store(dir, s);
        assertEquals(s, ReadCursorFile.load(dir));
        ReadCursorFile.State t = new ReadCursorFile.State(1, 2, 3, 0);
        try (ReadCursorFile f = ReadCursorFile.open(dir)) {
            assertEquals(s, f.loaded());
            f.store(t, false);
        }
        assertEquals(t, ReadCursorFile.load(dir));
        assertFalse(Files.exists(dir.resolve(ReadCursorFile.TEMP_NAME)));
        assertEquals(ReadCursorFile.FILE_BYTES, Files.size(dir.resolve(ReadCursorFile.FILE_NAME)));
    }

    /** Finding 2 of the power-loss issue: an unforced update never overwrites the newest forced state. */
    @Test
    void unforcedUpdatesNeverOverwriteTheSlotOfTheLastForcedOne() throws IOException {
        Path f = dir.resolve(ReadCursorFile.FILE_NAME);
        ReadCursorFile.State committed = new ReadCursorFile.State(10, 20, 2, 0);
        try (ReadCursorFile c = ReadCursorFile.open(dir)) {
            c.store(new ReadCursorFile.State(1, 20, 2, 0), true);
            c.store(committed, true);
            byte[] afterCommit = Files.readAllBytes(f);
            for (int i = 0; i < 3; i++) {
                c.store(new ReadCursorFile.State(11 + i, 20, 2, 0), false);
            }
            byte[] now = Files.readAllBytes(f);
            int forcedSlot = slotHolding(afterCommit, committed);
            assertTrue(forcedSlot >= 0);
            int at = forcedSlot * ReadCursorFile.SLOT_STRIDE;
            assertEquals(java.util.Arrays.toString(java.util.Arrays.copyOfRange(afterCommit, at, at + ReadCursorFile.SLOT_BYTES)),
                    java.util.Arrays.toString(java.util.Arrays.copyOfRange(now, at, at + ReadCursorFile.SLOT_BYTES)),
                    "the forced slot is untouched by unforced updates");
            // Tear the other slot (a power cut in the middle of an unforced update): the commit is read.
            int other = (1 - forcedSlot) * ReadCursorFile.SLOT_STRIDE;
            java.util.Arrays.fill(now, other + 20, other + ReadCursorFile.SLOT_BYTES, (byte) 0);
            Files.write(f, now);
        }
        assertEquals(committed, ReadCursorFile.load(dir));
    }

    private static int slotHolding(byte[] file, ReadCursorFile.State s) {
        for (int slot = 0; slot < 2; slot++) {
            java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(file).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            int at = slot * ReadCursorFile.SLOT_STRIDE;
            if (file.length >= at + ReadCursorFile.SLOT_BYTES && bb.getLong(at + 24) == s.readIndex()) {
                return slot;
            }
        }
        return -1;
    }

    @Test
    void aVersionOneCursorIsReadAndRewrittenAtTheFirstUpdate() throws IOException {
        byte[] v1 = new byte[52];
        java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(v1).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        bb.put("HOPPERQC".getBytes(StandardCharsets.US_ASCII)).putInt(1).putInt(0).putLong(5).putLong(9)
                .putLong(2).putLong(0);
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(v1, 0, 48);
        bb.putInt(48, (int) crc.getValue());
        Path f = dir.resolve(ReadCursorFile.FILE_NAME);
        Files.write(f, v1);
        ReadCursorFile.State old = new ReadCursorFile.State(5, 9, 2, 0);
        assertEquals(old, ReadCursorFile.load(dir));
        try (ReadCursorFile c = ReadCursorFile.open(dir)) {
            assertEquals(old, c.loaded());
            c.store(new ReadCursorFile.State(6, 9, 2, 0), true);
            c.store(new ReadCursorFile.State(7, 9, 2, 0), false);
        }
        assertEquals(ReadCursorFile.FILE_BYTES, Files.size(f));
        assertEquals(new ReadCursorFile.State(7, 9, 2, 0), ReadCursorFile.load(dir));
    }

    @Test
    void aLeftoverTemporaryCursorIsIgnoredAndRemoved() throws IOException {
        ReadCursorFile.State s = new ReadCursorFile.State(5, 6, 1, 0);
        ReadCursorFile.store(dir, s);
        Files.write(dir.resolve(ReadCursorFile.TEMP_NAME), new byte[] {1, 2, 3});
        assertEquals(s, ReadCursorFile.load(dir));
        assertFalse(Files.exists(dir.resolve(ReadCursorFile.TEMP_NAME)));
    }

    @Test
    void aDamagedSlotFallsBackToTheOtherAndBothDamagedMakeItUnreadable() throws IOException {
        ReadCursorFile.State first = new ReadCursorFile.State(5, 6, 1, 2);
        ReadCursorFile.State second = new ReadCursorFile.State(6, 7, 1, 2);
        try (ReadCursorFile c = ReadCursorFile.open(dir)) {
            c.store(first, true);
            c.store(second, true);
        }
        Path f = dir.resolve(ReadCursorFile.FILE_NAME);
        byte[] good = Files.readAllBytes(f);
        int newer = slotHolding(good, second) * ReadCursorFile.SLOT_STRIDE;
        int older = slotHolding(good, first) * ReadCursorFile.SLOT_STRIDE;
        for (int i = 0; i < ReadCursorFile.SLOT_BYTES; i++) {
            byte[] bad = good.clone();
            bad[newer + i] ^= 0x10;
            Files.write(f, bad);
            assertEquals(i >= 76 ? second : first, ReadCursorFile.load(dir), "flipped byte " + i + " of the newer slot");
            bad[older + (i % 76)] ^= 0x10;
            Files.write(f, bad);
            if (i < 76) {
                assertNull(ReadCursorFile.load(dir), "flipped byte " + i + " of both slots");
            }
        }
        Files.write(f, java.util.Arrays.copyOf(good, 100));
        assertEquals(slotHolding(good, second) == 0 ? second : first, ReadCursorFile.load(dir), "cut after slot 0");
        Files.write(f, good);
        assertEquals(second, ReadCursorFile.load(dir));
    }

    // ---- snapshot.hop --------------------------------------------------------------------

    private void writeSnapshot(long diskLimit, Object... entries) throws IOException {
        try (SnapshotFile.Writer w = new SnapshotFile.Writer(dir, diskLimit)) {
            for (Object e : entries) {
                if (e instanceof Long end) {
                    w.marker(end);
                } else {
                    w.record(codec.encode((String) e));
                }
            }
            w.commit();
        }
    }

    /** Replays the snapshot: records as text, markers as "@end", damage as "!" / "!@". */
    static List<String> replay(SnapshotFile.Reader r) throws IOException {
        List<String> out = new ArrayList<>();
        for (SnapshotFile.Reader.Kind k = r.next(); k != SnapshotFile.Reader.Kind.END; k = r.next()) {
            switch (k) {
                case RECORD -> out.add(new String(r.payload(), r.payloadOffset(), r.payloadLength(), StandardCharsets.UTF_8));
                case MARKER -> out.add("@" + r.markerEnd());
                case DAMAGED -> out.add("!");
                default -> out.add("!@");
            }
        }
        return out;
    }

    @Test
    void snapshotKeepsRecordsAndMarkersInOrder() throws IOException {
        String big = "z".repeat(1000); // larger than the reader's first buffer
        writeSnapshot(17, "a", 20L, "b", big, 25L);
        try (SnapshotFile.Reader r = SnapshotFile.open(dir)) {
            assertNotNull(r);
            assertEquals(17, r.diskLimit());
            assertEquals(3, r.recordCount());
            assertEquals(List.of("a", "@20", "b", big, "@25"), replay(r));
            assertEquals(0, r.recordsUnaccounted());
            assertFalse(r.compressed());
        }
        assertFalse(Files.exists(dir.resolve(SnapshotFile.TEMP_NAME)));
    }

    @Test
    void noSnapshotIsNull() throws IOException {
        assertNull(SnapshotFile.open(dir));
        Files.write(dir.resolve(SnapshotFile.TEMP_NAME), new byte[10]);
        assertNull(SnapshotFile.open(dir));
        assertFalse(Files.exists(dir.resolve(SnapshotFile.TEMP_NAME)), "an unfinished close is cleaned up");
    }

    @Test
    void anUncommittedSnapshotLeavesTheOldOneInPlace() throws IOException {
        writeSnapshot(0, "old");
        try (SnapshotFile.Writer w = new SnapshotFile.Writer(dir, 5)) {
            w.record(codec.encode("new"));
            assertEquals(1, w.records());
        }
        assertFalse(Files.exists(dir.resolve(SnapshotFile.TEMP_NAME)));
        try (SnapshotFile.Reader r = SnapshotFile.open(dir)) {
            assertEquals(List.of("old"), replay(r));
        }
    }

    private long entryOffset(int k) throws IOException {
        return io.hopper.internal.segment.Frames.offset(dir.resolve(SnapshotFile.FILE_NAME), SnapshotFile.HEADER, k);
    }

    private void flip(long at) throws IOException {
        io.hopper.internal.segment.Frames.flipByte(dir.resolve(SnapshotFile.FILE_NAME), at, 0x21);
    }

    @Test
    void damagedEntriesAreReportedOneByOne() throws IOException {
        writeSnapshot(0, "a", 9L, "bcd", 12L, "e");
        flip(entryOffset(2) + SegmentFormat.FRAME_HEADER_BYTES + 1); // "bcd" payload
        flip(entryOffset(3) + SegmentFormat.FRAME_HEADER_BYTES + 2); // marker payload
        try (SnapshotFile.Reader r = SnapshotFile.open(dir)) {
            assertEquals(List.of("a", "@9", "!", "!@", "e"), replay(r));
            assertEquals(0, r.recordsUnaccounted(), "the damaged record was reported, not lost silently");
        }
    }

    @Test
    void aTruncatedSnapshotAccountsForTheRecordsItCannotReach() throws IOException {
        writeSnapshot(0, "a", "b", 4L, "c", "d");
        Path f = dir.resolve(SnapshotFile.FILE_NAME);
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(entryOffset(3) + 5);
        }
        try (SnapshotFile.Reader r = SnapshotFile.open(dir)) {
            assertEquals(List.of("a", "b", "@4"), replay(r));
            assertEquals(2, r.recordsUnaccounted());
        }
    }

    @Test
    void aDamagedHeaderSetsTheSnapshotAside() throws IOException {
        writeSnapshot(0, "a");
        flip(20);
        assertNull(SnapshotFile.open(dir));
        assertTrue(Files.exists(dir.resolve(SnapshotFile.FILE_NAME + ".corrupt")));
        assertFalse(Files.exists(dir.resolve(SnapshotFile.FILE_NAME)));
        Files.write(dir.resolve(SnapshotFile.FILE_NAME), new byte[10]);
        assertNull(SnapshotFile.open(dir), "shorter than its header");
    }

    @Test
    void remainingEntriesAreCopiedIntoTheNextSnapshot() throws IOException {
        writeSnapshot(3, "a", 5L, "b", "c", 8L);
        flip(entryOffset(3) + SegmentFormat.FRAME_HEADER_BYTES); // "c" payload
        long damaged;
        try (SnapshotFile.Reader r = SnapshotFile.open(dir)) {
            assertEquals(SnapshotFile.Reader.Kind.RECORD, r.next()); // "a" was delivered before the close
            try (SnapshotFile.Writer w = new SnapshotFile.Writer(dir, 3)) {
                damaged = r.copyRemainingTo(w);
                w.record(codec.encode("d"));
                w.marker(11);
                w.commit();
            }
        }
        assertEquals(1, damaged);
        try (SnapshotFile.Reader r = SnapshotFile.open(dir)) {
            assertEquals(2, r.recordCount());
            assertEquals(List.of("@5", "b", "@8", "d", "@11"), replay(r));
            r.finish();
        }
        assertFalse(Files.exists(dir.resolve(SnapshotFile.FILE_NAME)));
    }
}
