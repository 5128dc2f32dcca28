package io.hopper;

import io.hopper.testkit.Shapes;
import io.hopper.testkit.TestDirs;

import io.hopper.internal.segment.Frames;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Compression#LZ4_BLOCKS}: sealed queue files are rewritten with their records in shared
 * LZ4 blocks. What users see must not change (the same records, in order, once; commits, restarts,
 * damage and eviction as before), while small records take a fraction of the disk.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES) // a hang guard for the waits on the compactor, not a speed check
class BlockCompressionTest {

    /** 150-byte JSON log lines, the way an ingest service gets them: timestamps, levels, hosts, ids. */
    static String logLine(long seq) {
        SplittableRandom r = new SplittableRandom(seq * 31 + 7);
        String[] levels = {"INFO", "INFO", "INFO", "WARN", "DEBUG", "ERROR"};
        String[] services = {"checkout", "cart", "search", "auth", "payments"};
        String[] messages = {"request served", "cache miss", "upstream slow", "retrying call", "user logged in"};
        StringBuilder sb = new StringBuilder(200);
        sb.append("{\"seq\":").append(seq).append(",\"ts\":\"2026-12-06T10:").append(String.format("%02d:%02d.%03d", (seq / 60_000) % 60,
                (seq / 1000) % 60, seq % 1000)).append("Z\",\"level\":\"").append(levels[r.nextInt(levels.length)])
                .append("\",\"svc\":\"").append(services[r.nextInt(services.length)]).append("\",\"host\":\"web-")
                .append(r.nextInt(24)).append("\",\"msg\":\"").append(messages[r.nextInt(messages.length)])
                .append("\",\"ms\":").append(r.nextInt(900)).append(",\"trace\":\"")
                .append(Long.toHexString(r.nextLong() | Long.MIN_VALUE)).append('"');
        while (sb.length() < 149) {
            sb.append(' ');
        }
        sb.setLength(149);
        return sb.append('}').toString();
    }

    private static Hopper.Builder<String> lines(Path dir, StorageBackend storage, Compression compression) {
        return Hopper.builder(String.class, dir).storage(storage).inMemoryBytes(0).diskBytes(8L << 20)
                .maxDiskFiles(16).compression(compression);
    }

    /**
     * Waits until the stats show what the compactor's thread was to do. No deadline here: the
     * class's {@code @Timeout} only keeps a broken build from hanging.
     */
    private static ChannelStats await(Channel<?> ch, Predicate<ChannelStats> done) throws InterruptedException {
        ChannelStats s = ch.stats();
        while (!done.test(s)) {
            Thread.sleep(5);
            s = ch.stats();
        }
        return s;
    }

    private static void send(Channel<String> ch, int count) throws InterruptedException {
        for (int i = 0; i < count; i++) {
            ch.sender().send(logLine(i));
        }
    }

    /** Receives lines {@code from} to {@code to - 1}, each checked. */
    private static void receive(Channel<String> ch, int from, int to) {
        for (int i = from; i < to; i++) {
            assertEquals(logLine(i), ch.receiver().poll(), "record " + i);
        }
    }

    /** Rewritten files (format version 2) in {@code dir}. */
    private static List<Path> blockFiles(Path dir) throws Exception {
        List<Path> out = new ArrayList<>();
        for (Path p : TestDirs.segmentFileList(dir)) {
            if (Frames.version(p) == 2) {
                out.add(p);
            }
        }
        return out;
    }

    @ParameterizedTest
    @EnumSource(StorageBackend.class)
    void smallLogLinesTakeUnderAThirdOfTheirBytesAndArriveInOrder(StorageBackend storage) throws Exception {
        Path dir = TestDirs.create();
        int total = 30_000;
        try (Channel<String> ch = lines(dir, storage, Compression.LZ4_BLOCKS).open()) {
            send(ch, total);
            long files = TestDirs.segmentFiles(dir);
            assertTrue(files >= 6, "files: " + files);
            // The head (the consumer reads it next) and the file being filled stay as they are.
            ChannelStats s = await(ch, st -> st.filesCompacted() == files - 2);
            List<Path> rewritten = blockFiles(dir);
            assertEquals(files - 2, rewritten.size());
            long records = 0;
            long bytes = 0;
            for (Path p : rewritten) {
                List<Frames.Header> h = Frames.headers(p);
                Frames.Header end = h.get(h.size() - 1);
                assertTrue(end.end());
                records += end.index() - h.get(0).index();
                bytes += Files.size(p);
                assertTrue(h.stream().filter(Frames.Header::block).count() >= 2, "blocks in " + p + ": " + h.size());
            }
            double ratio = (double) records * 150 / bytes;
            assertTrue(ratio >= 3.0, "150-byte lines against their rewritten files, headers included: " + ratio + ":1");
            assertEquals(s.bytesWrittenToDisk() - s.bytesSavedByCompaction(), s.bytesOnDisk(),
                    "the budget counts the rewritten sizes");
            assertTrue(s.bytesSavedByCompaction() > 0);
            receive(ch, 0, total);
            assertNull(ch.receiver().poll());
            assertEquals(0, ch.stats().recordsLost());
            assertEquals(0, ch.stats().corruptFramesSkipped());
        } finally {
            TestDirs.delete(dir);
        }
    }

    /** Sealed-interface events (the shape services queue) through rewritten files, across a restart that stops inside a block. */
    @ParameterizedTest
    @EnumSource(CommitMode.class)
    void aRestartInsideABlockResumesAtTheNextRecord(CommitMode commit) throws Exception {
        Path dir = TestDirs.create();
        int total = 12_000;
        try {
            long stopAt;
            try (Channel<Shapes.Event> ch = Hopper.builder(Shapes.Event.class, dir).inMemoryBytes(0)
                    .diskBytes(8L << 20).maxDiskFiles(16).commitMode(commit).compression(Compression.LZ4_BLOCKS).open()) {
                for (long i = 0; i < total; i++) {
                    ch.sender().send(Shapes.event(i));
                }
                long files = TestDirs.segmentFiles(dir);
                await(ch, st -> st.filesCompacted() == files - 2);
                // Stop in the middle of the second block of the first rewritten file.
                List<Frames.Header> h = Frames.headers(blockFiles(dir).get(0));
                Frames.Header second = h.stream().filter(Frames.Header::block).skip(1).findFirst().orElseThrow();
                stopAt = second.index() + second.count() / 2;
                Shapes.assertReceivesEvents(ch, 0, stopAt);
                if (commit == CommitMode.MANUAL) {
                    ch.receiver().commit();
                }
            }
            try (Channel<Shapes.Event> ch = Hopper.builder(Shapes.Event.class, dir).inMemoryBytes(0)
                    .diskBytes(8L << 20).maxDiskFiles(16).commitMode(commit).compression(Compression.LZ4_BLOCKS).open()) {
                Shapes.assertReceivesEvents(ch, stopAt, total);
                assertNull(ch.receiver().poll());
                assertEquals(0, ch.stats().recordsLost());
            }
        } finally {
            TestDirs.delete(dir);
        }
    }

    /** A damaged block costs exactly its records: counted, never returned, everything around it delivered. */
    @ParameterizedTest
    @EnumSource(StorageBackend.class)
    void aDamagedBlockCostsExactlyItsRecords(StorageBackend storage) throws Exception {
        Path dir = TestDirs.create();
        int total = 20_000;
        try {
            Frames.Header hit;
            try (Channel<String> ch = lines(dir, storage, Compression.LZ4_BLOCKS).open()) {
                send(ch, total);
                long files = TestDirs.segmentFiles(dir);
                await(ch, st -> st.filesCompacted() == files - 2);
            }
            Path file = blockFiles(dir).get(1);
            List<Frames.Header> h = Frames.headers(file);
            hit = h.stream().filter(Frames.Header::block).skip(2).findFirst().orElseThrow();
            Frames.flipByte(file, hit.offset() + 24 + hit.payloadLength() / 2, 0x5a);
            try (Channel<String> ch = lines(dir, storage, Compression.LZ4_BLOCKS).open()) {
                List<Long> got = new ArrayList<>();
                String line;
                while ((line = ch.receiver().poll()) != null) {
                    got.add(Long.parseLong(line.substring(7, line.indexOf(','))));
                }
                List<Long> want = new ArrayList<>();
                for (long i = 0; i < total; i++) {
                    if (i < hit.index() || i >= hit.index() + hit.count()) {
                        want.add(i);
                    }
                }
                assertTrue(want.equals(got), "received " + got.size() + " records, want " + want.size()
                        + " (all but " + hit.index() + " to " + (hit.index() + hit.count() - 1) + ")");
                assertEquals(hit.count(), ch.stats().recordsLost(), ch.stats().toString());
                assertEquals(1, ch.stats().corruptFramesSkipped());
            }
        } finally {
            TestDirs.delete(dir);
        }
    }

    /**
     * Files a channel without rewriting left are rewritten when it is opened with it, and files in
     * blocks are read by a channel opened without it: the setting can change between runs.
     */
    @Test
    void theSettingCanChangeBetweenRuns() throws Exception {
        Path dir = TestDirs.create();
        int total = 20_000;
        try {
            try (Channel<String> ch = lines(dir, StorageBackend.FILE_CHANNEL, Compression.LZ4).open()) {
                send(ch, total);
            }
            assertEquals(List.of(), blockFiles(dir));
            long files = TestDirs.segmentFiles(dir);
            try (Channel<String> ch = lines(dir, StorageBackend.FILE_CHANNEL, Compression.LZ4_BLOCKS).open()) {
                await(ch, st -> st.filesCompacted() == files - 1); // all but the head: every file was sealed at close
                receive(ch, 0, 1_000);
            }
            assertFalse(blockFiles(dir).isEmpty());
            try (Channel<String> ch = lines(dir, StorageBackend.FILE_CHANNEL, Compression.LZ4).open()) {
                receive(ch, 1_000, total);
                assertNull(ch.receiver().poll());
                assertEquals(0, ch.stats().recordsLost());
            }
        } finally {
            TestDirs.delete(dir);
        }
    }

    /**
     * A rewrite a crash interrupted leaves its copy beside the original: the next open deletes it
     * and delivers everything from the original.
     */
    @Test
    void aCopyLeftByAnInterruptedRewriteIsDeletedAtOpen() throws Exception {
        Path dir = TestDirs.create();
        int total = 10_000;
        try {
            try (Channel<String> ch = lines(dir, StorageBackend.FILE_CHANNEL, Compression.LZ4).open()) {
                send(ch, total);
            }
            Path original = TestDirs.segmentFileList(dir).get(1);
            Path copy = original.resolveSibling(original.getFileName() + ".compacting");
            byte[] bytes = Files.readAllBytes(original);
            Files.write(copy, java.util.Arrays.copyOf(bytes, bytes.length / 3)); // torn mid-write
            try (Channel<String> ch = lines(dir, StorageBackend.FILE_CHANNEL, Compression.LZ4).open()) {
                assertFalse(Files.exists(copy));
                receive(ch, 0, total);
                assertEquals(0, ch.stats().recordsLost());
            }
        } finally {
            TestDirs.delete(dir);
        }
    }

    /**
     * The same disk budget holds several times more small records: rewritten files give their
     * bytes back. Compared with per-record LZ4 under the same budget, filled with offers until
     * one is refused, and with blocks again after each round's rewrites, until a round adds nothing.
     */
    @Test
    void theSameBudgetHoldsSeveralTimesMoreSmallRecords() throws Exception {
        long plain = fill(Compression.LZ4);
        long blocks = fill(Compression.LZ4_BLOCKS);
        assertTrue(blocks >= 2.5 * plain, "records held: LZ4 " + plain + ", LZ4_BLOCKS " + blocks);
    }

    private static long fill(Compression compression) throws Exception {
        Path dir = TestDirs.create();
        try (Channel<String> ch = Hopper.builder(String.class, dir).inMemoryBytes(0).diskBytes(4L << 20)
                .maxDiskFiles(16).compression(compression).open()) {
            long n = 0;
            for (;;) { // until a round of offers adds nothing
                long before = n;
                while (ch.sender().offer(logLine(n))) {
                    n++;
                }
                if (compression != Compression.LZ4_BLOCKS || n == before) {
                    break;
                }
                // The refused offer sealed the last file: wait until every file but the head is rewritten.
                await(ch, st -> st.filesCompacted() >= st.diskFiles() - 1);
            }
            assertTrue(ch.stats().bytesOnDisk() <= 4L << 20, ch.stats().toString());
            for (long i = 0; i < n; i++) {
                assertEquals(logLine(i), ch.receiver().poll(), "record " + i);
            }
            return n;
        } finally {
            TestDirs.delete(dir);
        }
    }

    @Test
    void needsTwoFilesOfBudget() {
        Path dir = TestDirs.create();
        try {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Hopper.builder(String.class, dir)
                    .maxDiskFiles(1).compression(Compression.LZ4_BLOCKS).open());
            assertTrue(e.getMessage().contains("maxDiskFiles"), e.getMessage());
        } finally {
            TestDirs.delete(dir);
        }
    }

    /** The compactor's thread ends with its channel. */
    @Test
    void theCompactorThreadEndsWithTheChannel() throws Exception {
        Path dir = TestDirs.create();
        try {
            try (Channel<String> ch = lines(dir, StorageBackend.FILE_CHANNEL, Compression.LZ4_BLOCKS).open()) {
                send(ch, 10_000);
                assertFalse(compactorThreads(dir).isEmpty());
            }
            assertEquals(List.of(), compactorThreads(dir), "close() waits for the thread to end");
        } finally {
            TestDirs.delete(dir);
        }
    }

    private static List<Thread> compactorThreads(Path dir) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("hopper-compactor " + dir) && t.isAlive()).toList();
    }
}
