package io.hopper;

import io.hopper.internal.segment.SegmentFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The builder's limits at their exact edges, and what the defaults derive from the budgets. */
class BuilderDefaultsTest {

    @TempDir
    Path dir;

    @Test
    void limitsAreInclusive() {
        Hopper.Builder<Long> b = Hopper.builder(Long.class, dir);
        assertDoesNotThrow(() -> b.inMemoryRecords(2));
        assertDoesNotThrow(() -> b.inMemoryRecords(Hopper.MAX_SLOTS));
        assertThrows(IllegalArgumentException.class, () -> b.inMemoryRecords(Hopper.MAX_SLOTS + 1));
        assertDoesNotThrow(() -> b.inMemoryBytes(0));
        assertDoesNotThrow(() -> b.inMemoryBytes(Hopper.MAX_IN_MEMORY_BYTES));
        assertThrows(IllegalArgumentException.class, () -> b.inMemoryBytes(Hopper.MAX_IN_MEMORY_BYTES + 1));
        assertDoesNotThrow(() -> b.diskBytes(SegmentFormat.MIN_SEGMENT_BYTES));
        assertThrows(IllegalArgumentException.class, () -> b.diskBytes(SegmentFormat.MIN_SEGMENT_BYTES - 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.diskBytes("12 K"));
        assertTrue(e.getMessage().startsWith("diskBytes: "), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> b.inMemoryBytes("lots"));
        assertTrue(e.getMessage().startsWith("inMemoryBytes: "), e.getMessage());
    }

    @Test
    void theChannelReportsItsCommitModeAndDurability() throws Exception {
        try (Channel<Long> ch = Hopper.builder(Long.class, dir.resolve("defaults")).open()) {
            assertEquals(CommitMode.AUTO, ch.commitMode());
            assertEquals(Durability.MEMORY_FIRST, ch.durability());
        }
        try (Channel<Long> ch = Hopper.builder(Long.class, dir.resolve("chosen")).commitMode(CommitMode.MANUAL)
                .durability(Durability.WRITE_THROUGH).open()) {
            assertEquals(CommitMode.MANUAL, ch.commitMode());
            assertEquals(Durability.WRITE_THROUGH, ch.durability());
        }
    }

    @Test
    void defaultWeightsFollowTheRecordsSize() throws Exception {
        try (Channel<Object> ch = Hopper.builder(Object.class, dir).open()) {
            ch.sender().offer(new byte[10]);
            assertEquals(16 + 10, ch.stats().bytesInMemory());
            ch.receiver().poll();
            ch.sender().offer("abc");
            assertEquals(40 + 2 * 3, ch.stats().bytesInMemory());
            ch.receiver().poll();
            ch.sender().offer(new StringBuilder("abcd"));
            assertEquals(40 + 2 * 4, ch.stats().bytesInMemory());
            ch.receiver().poll();
            ch.sender().offer(42L);
            assertEquals(Hopper.DEFAULT_RECORD_WEIGHT, ch.stats().bytesInMemory());
        }
    }

    @Test
    void theDefaultSlotCountIsOnePerEightBytesOfBudget() throws Exception {
        // 800 bytes: 100 slots, so with weightless records the 101st goes to disk.
        try (Channel<Long> ch = Hopper.builder(Long.class, dir).inMemoryBytes(800).weigher(x -> 0).open()) {
            for (long i = 0; i < 150; i++) {
                assertTrue(ch.sender().offer(i));
            }
            assertEquals(100, ch.stats().recordsInMemory());
            assertEquals(50, ch.stats().recordsSpilled());
            for (long i = 0; i < 150; i++) {
                assertEquals(i, ch.receiver().poll());
            }
        }
    }

    @Test
    void theDefaultSlotCountHasAFloorOf64() throws Exception {
        try (Channel<Long> ch = Hopper.builder(Long.class, dir).inMemoryBytes(8).weigher(x -> 0).open()) {
            for (long i = 0; i < 70; i++) {
                assertTrue(ch.sender().offer(i));
            }
            assertEquals(64, ch.stats().recordsInMemory());
            assertEquals(6, ch.stats().recordsSpilled());
        }
    }

    @Test
    void anExplicitSlotCountWins() throws Exception {
        try (Channel<Long> ch = Hopper.builder(Long.class, dir).inMemoryBytes(1 << 20).inMemoryRecords(3)
                .weigher(x -> 8).open()) {
            for (long i = 0; i < 5; i++) {
                assertTrue(ch.sender().offer(i));
            }
            assertEquals(3, ch.stats().recordsInMemory());
            assertEquals(2, ch.stats().recordsSpilled());
        }
    }

    @Test
    void storageFollowsWhatChronicleCanDoHere() {
        var missing = new io.hopper.internal.segment.ChronicleAvailability.Result(false,
                java.util.List.of("--add-opens=java.base/java.nio=ALL-UNNAMED"),
                "missing JVM flags --add-opens=java.base/java.nio=ALL-UNNAMED");
        var present = new io.hopper.internal.segment.ChronicleAvailability.Result(true, java.util.List.of(),
                "available");
        assertEquals("file-channel", Hopper.Builder.chooseStorage(StorageBackend.AUTO, () -> missing).name());
        assertEquals("chronicle-bytes", Hopper.Builder.chooseStorage(StorageBackend.AUTO, () -> present).name());
        assertEquals("chronicle-bytes",
                Hopper.Builder.chooseStorage(StorageBackend.CHRONICLE_BYTES, () -> present).name());
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Hopper.Builder.chooseStorage(StorageBackend.CHRONICLE_BYTES, () -> missing));
        assertTrue(e.getMessage().contains("java.base/java.nio"), e.getMessage());
        assertEquals("file-channel", Hopper.Builder.chooseStorage(StorageBackend.FILE_CHANNEL, () -> {
            throw new AssertionError("FILE_CHANNEL must not probe Chronicle");
        }).name());
    }

    @Test
    void theSmallestFileTheBudgetAllowsIsAccepted() throws Exception {
        long perFile = io.hopper.internal.segment.SegmentFormat.MIN_SEGMENT_BYTES;
        try (Channel<byte[]> ch = Hopper.builder(byte[].class, dir).inMemoryBytes(0).storage(StorageBackend.FILE_CHANNEL)
                .compression(Compression.NONE).diskBytes(2 * perFile).maxDiskFiles(2).open()) {
            assertEquals(2 * perFile, ch.stats().diskBytesLimit());
            assertEquals(2, ch.stats().maxDiskFiles());
        }
        assertThrows(IllegalArgumentException.class, () -> Hopper.builder(byte[].class, dir.resolve("x"))
                .diskBytes(2 * perFile - 1).maxDiskFiles(2).open());
    }

    @Test
    void sizesFormatAtTheirUnitBoundaries() {
        assertEquals("1023 B", ByteSize.format(1023));
        assertEquals("1.0 KiB", ByteSize.format(1024));
        assertEquals("1024.0 KiB", ByteSize.format((1L << 20) - 1), "one byte short of a MiB");
        assertEquals("1.0 MiB", ByteSize.format(1L << 20));
        assertEquals("1.0 GiB", ByteSize.format(1L << 30));
        assertEquals("1.0 TiB", ByteSize.format(1L << 40));
        assertEquals("-1.0 KiB", ByteSize.format(-1024));
    }

    @Test
    void remainingCapacityCountsFreeSlotsWhenSlotsBind() throws Exception {
        try (Channel<Long> ch = Hopper.builder(Long.class, dir).inMemoryBytes(1000).inMemoryRecords(4)
                .weigher(x -> 10).diskBytes(4 * 4096).maxDiskFiles(4).open()) {
            ch.sender().offer(1L);
            ch.sender().offer(2L);
            assertEquals(2 + 4 * 4096 / Hopper.DEFAULT_RECORD_WEIGHT, ch.asBlockingQueue().remainingCapacity(),
                    "two free slots, though the bytes would take 98 more");
        }
        try (Channel<Long> ch = Hopper.builder(Long.class, dir.resolve("none")).inMemoryBytes(0)
                .diskBytes(4 * 4096).maxDiskFiles(4).open()) {
            assertEquals(4 * 4096 / Hopper.DEFAULT_RECORD_WEIGHT, ch.asBlockingQueue().remainingCapacity(),
                    "no memory budget: only disk room counts");
        }
    }
}
