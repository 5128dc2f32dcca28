package io.hopper;

import io.hopper.testkit.Records;
import io.hopper.testkit.TestDirs;

import io.hopper.internal.recovery.ReadCursorFile;
import io.hopper.internal.recovery.SnapshotFile;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The receiver's bookkeeping seen from outside: when the read position reaches the cursor file,
 * what a closed channel does to a waiting consumer, and exactly how damage found while reading
 * is counted (file by file, frame by frame).
 */
class ReceiverLifecycleTest {

    @TempDir
    Path dir;

    /** Every record goes to disk, uncompressed, so frames sit at predictable places. */
    private Channel<byte[]> diskOnly() throws IOException {
        return Hopper.builder(byte[].class, dir).inMemoryBytes(0).compression(Compression.NONE)
                .diskBytes(16 * 65536).maxDiskFiles(16).open();
    }

    private static void send(Channel<byte[]> ch, int from, int to) {
        for (int i = from; i < to; i++) {
            assertTrue(ch.sender().offer(Records.make(0, i, 100)));
        }
    }

    private static List<Long> drain(Channel<byte[]> ch) {
        List<Long> got = new ArrayList<>();
        byte[] r;
        while ((r = ch.receiver().poll()) != null) {
            assertTrue(Records.valid(r), "a damaged record was delivered");
            got.add(Records.seq(r));
        }
        return got;
    }

    private static List<Long> range(long from, long to) {
        List<Long> l = new ArrayList<>();
        for (long i = from; i < to; i++) {
            l.add(i);
        }
        return l;
    }

    @Test
    void commitWritesTheReadPositionAtOnce() throws Exception {
        try (Channel<byte[]> ch = diskOnly()) {
            send(ch, 0, 10);
            for (int i = 0; i < 3; i++) {
                assertEquals(i, Records.seq(ch.receiver().poll()));
            }
            ch.receiver().commit();
            assertEquals(3, ReadCursorFile.load(dir).readIndex());
            assertEquals(10, ReadCursorFile.load(dir).nextIndex());
            ch.receiver().poll();
            ch.receiver().commit();
            assertEquals(4, ReadCursorFile.load(dir).readIndex());
        }
        try (Channel<byte[]> ch = diskOnly()) {
            assertEquals(0, ch.stats().corruptFramesSkipped(), "a clean reopen finds nothing wrong");
            assertEquals(0, ch.stats().recordsLost());
            assertEquals(range(4, 10), drain(ch));
        }
    }

    @Test
    void thePositionIsStoredBeforeAConsumedFileIsDeleted() throws Exception {
        try (Channel<byte[]> ch = Hopper.builder(byte[].class, dir).inMemoryBytes(0).compression(Compression.NONE)
                .diskBytes(8 * 2048).maxDiskFiles(8).open()) {
            send(ch, 0, 60); // 100-byte records: several small files
            int files = TestDirs.segmentFileList(dir).size();
            assertTrue(files >= 2, "files: " + files);
            long read = 0;
            while (ch.stats().filesDeleted() == 0) {
                assertEquals(read++, Records.seq(ch.receiver().poll()));
            }
            // The file went at the start of the call that returned record read - 1, and the position
            // stored first counts only the records returned before that call (the one it returns may
            // never reach the caller if the process dies first).
            ReadCursorFile.State st = ReadCursorFile.load(dir);
            assertTrue(st != null && st.readIndex() == read - 1, "a restart must not look for records in the deleted"
                    + " file, nor skip the record being returned: " + st + " after " + read);
        }
    }

    @Test
    void replayingTheLastSnapshotRecordUpdatesTheCursorAtOnce() throws Exception {
        try (Channel<byte[]> ch = Hopper.builder(byte[].class, dir).open()) {
            send(ch, 0, 3);
        }
        assertEquals(3, ReadCursorFile.load(dir).snapshotRecords());
        try (Channel<byte[]> ch = Hopper.builder(byte[].class, dir).open()) {
            assertEquals(List.of(0L, 1L, 2L), drain(ch));
            assertEquals(0, ReadCursorFile.load(dir).snapshotRecords(),
                    "the snapshot is gone: a crash now must not count its records as lost");
            assertEquals(0, ch.stats().recordsLost());
        }
    }

    @Test
    void consumerCallsMayMoveBetweenThreads() throws Exception {
        try (Channel<byte[]> ch = diskOnly()) {
            send(ch, 0, 6);
            List<byte[]> sink = new ArrayList<>();
            assertEquals(2, ch.receiver().drainTo(sink, 2));
            ch.receiver().commit();
            assertEquals(2, Records.seq(ch.receiver().poll()));
            CompletableFuture<Long> other = CompletableFuture.supplyAsync(() -> {
                long s = Records.seq(ch.receiver().poll());
                ch.receiver().commit();
                List<byte[]> more = new ArrayList<>();
                ch.receiver().drainTo(more, 10);
                return s + 10 * more.size();
            });
            assertEquals(3 + 10 * 2, other.get(10, TimeUnit.SECONDS), "no lock was left held by the first thread");
            assertEquals(6, ReadCursorFile.load(dir).readIndex() + 2, "the other thread's commit counted 4");
        }
    }

    @Test
    void thePositionIsCommittedOnItsOwnWhileReadingFromDisk() throws Exception {
        try (Channel<byte[]> ch = diskOnly()) {
            send(ch, 0, 10);
            ch.receiver().poll();
            ch.receiver().commit();
            assertEquals(1, ReadCursorFile.load(dir).readIndex());
            ch.receiver().poll();
            assertEquals(1, ReadCursorFile.load(dir).readIndex(), "not yet: the interval has not passed");
            Thread.sleep(TimeUnit.NANOSECONDS.toMillis(io.hopper.internal.receiver.ReceiverMachine.AUTO_COMMIT_NANOS)
                    + 100);
            ch.receiver().poll();
            assertEquals(2, ReadCursorFile.load(dir).readIndex(),
                    "committed on its own after the interval: the records returned before this call");
        }
    }

    @Test
    void aClosedChannelRefusesTheConsumer() throws Exception {
        Channel<byte[]> ch = diskOnly();
        send(ch, 0, 2);
        ch.close();
        assertThrows(ChannelClosedException.class, () -> ch.receiver().commit());
        assertThrows(ChannelClosedException.class, () -> ch.receiver().poll());
        assertThrows(ChannelClosedException.class, () -> ch.receiver().drainTo(new ArrayList<>(), 10));
        assertThrows(ChannelClosedException.class, () -> ch.receiver().receive());
    }

    @Test
    void aConsumerWaitingInReceiveIsReleasedByClose() throws Exception {
        Channel<byte[]> ch = diskOnly();
        CompletableFuture<byte[]> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                return ch.receiver().receive();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(100); // let it park (if it has not, close still wins and the outcome is the same)
        ch.close();
        ExecutionException e = assertThrows(ExecutionException.class, () -> waiting.get(10, TimeUnit.SECONDS));
        assertInstanceOf(ChannelClosedException.class, e.getCause());
    }

    /**
     * Two consumer threads wait; two records arrive with one wake-up (the second push finds the
     * ring non-empty). The consumer that wakes must pass the wake-up on, or the other record waits
     * with a consumer asleep beside it. The test holds the consumers' lock while the records
     * arrive, so that the second push surely happens before anyone wakes.
     */
    @Test
    void aSecondWaitingConsumerIsWokenByTheFirst() throws Exception {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try (Channel<byte[]> ch = Hopper.builder(byte[].class, dir).open()) {
            java.lang.reflect.Field f = Channel.class.getDeclaredField("ring");
            f.setAccessible(true);
            io.hopper.internal.ring.RingDeque<?> ring = (io.hopper.internal.ring.RingDeque<?>) f.get(ch);
            java.util.concurrent.locks.ReentrantLock front = ring.frontLock();
            List<CompletableFuture<byte[]>> consumers = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                consumers.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        return ch.receiver().receive();
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                }, pool));
            }
            // Both consumers parked: each announced itself under the lock, then released it in await.
            while (!ring.consumerParked() || front.isLocked() || front.hasQueuedThreads()
                    || ch.stats().recordsInMemory() != 0 || !bothWaiting(front, ring)) {
                Thread.onSpinWait();
            }
            front.lock();
            try {
                Thread producer = new Thread(() -> send(ch, 0, 1)); // into the empty ring: signals
                producer.start();
                while (!front.hasQueuedThread(producer)) { // ... and blocks on the lock we hold
                    Thread.onSpinWait();
                }
                send(ch, 1, 2); // the ring is not empty now: no signal of its own
                front.unlock();
                producer.join();
                front.lock();
            } finally {
                front.unlock();
            }
            java.util.Set<Long> got = new java.util.HashSet<>();
            for (CompletableFuture<byte[]> c : consumers) {
                got.add(Records.seq(c.get(10, TimeUnit.SECONDS)));
            }
            assertEquals(java.util.Set.of(0L, 1L), got);
        } finally {
            pool.shutdownNow();
        }
    }

    /** Whether two consumers wait on the ring's condition. */
    private static boolean bothWaiting(java.util.concurrent.locks.ReentrantLock front,
                                       io.hopper.internal.ring.RingDeque<?> ring) {
        try {
            java.lang.reflect.Field c = ring.getClass().getDeclaredField("notEmpty");
            c.setAccessible(true);
            java.util.concurrent.locks.Condition cond = (java.util.concurrent.locks.Condition) c.get(ring);
            front.lock();
            try {
                return front.getWaitQueueLength(cond) == 2;
            } finally {
                front.unlock();
            }
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aMissingSnapshotIsCountedAsLost() throws Exception {
        try (Channel<byte[]> ch = Hopper.builder(byte[].class, dir).open()) {
            send(ch, 0, 5);
            assertEquals(5, ch.stats().recordsInMemory());
        }
        Files.delete(dir.resolve(SnapshotFile.FILE_NAME));
        try (Channel<byte[]> ch = Hopper.builder(byte[].class, dir).open()) {
            assertEquals(List.of(), drain(ch));
            assertEquals(5, ch.stats().recordsLost());
            assertEquals(1, ch.stats().corruptFramesSkipped());
            send(ch, 5, 6);
            assertEquals(List.of(5L), drain(ch));
        }
    }

    @Test
    void aDamagedSnapshotEntryCostsExactlyItsRecord() throws Exception {
        try (Channel<byte[]> ch = Hopper.builder(byte[].class, dir).compression(Compression.NONE).open()) {
            send(ch, 0, 5);
        }
        Path snap = dir.resolve(SnapshotFile.FILE_NAME);
        // Entries: five records, then the closing marker; damage record 2's payload.
        flip(snap, io.hopper.internal.segment.Frames.offset(snap, SnapshotFile.HEADER, 2) + SegmentFormat.FRAME_HEADER_BYTES + 20);
        try (Channel<byte[]> ch = Hopper.builder(byte[].class, dir).compression(Compression.NONE).open()) {
            assertEquals(List.of(0L, 1L, 3L, 4L), drain(ch));
            assertEquals(1, ch.stats().recordsLost());
            assertEquals(1, ch.stats().corruptFramesSkipped());
        }
    }

    /** Strings, refusing to serialize "poison". */
    static final class Picky implements Serializer<String> {
        @Override
        public void serialize(String value, OutputStream out) throws IOException {
            if (value.equals("poison")) {
                throw new IOException("cannot serialize poison");
            }
            out.write(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String deserialize(byte[] bytes, int offset, int length) {
            return new String(bytes, offset, length, StandardCharsets.UTF_8);
        }
    }

    @Test
    void aRecordThatCannotBeSerializedAtCloseIsCountedNotHidden() throws Exception {
        Channel<String> ch = Hopper.builder(String.class, dir).serializer(new Picky()).open();
        ch.sender().offer("a");
        ch.sender().offer("poison");
        ch.sender().offer("b");
        ch.close();
        assertEquals(1, ch.stats().recordsLost());
        try (Channel<String> again = Hopper.builder(String.class, dir).serializer(new Picky()).open()) {
            assertEquals("a", again.receiver().poll());
            assertEquals("b", again.receiver().poll());
            assertNull(again.receiver().poll());
        }
    }

    @Test
    void announcedRecordsWhoseFilesVanishedAreWrittenOff() throws Exception {
        try (Channel<byte[]> ch = diskOnly()) {
            send(ch, 0, 10);
        }
        for (Path f : TestDirs.segmentFileList(dir)) {
            Files.delete(f);
        }
        try (Channel<byte[]> ch = diskOnly()) {
            assertEquals(List.of(), drain(ch));
            assertEquals(10, ch.stats().recordsLost());
            send(ch, 10, 12);
            assertEquals(List.of(10L, 11L), drain(ch));
        }
    }

    @Test
    void recordsOfAnUnreadableLastFileAreWrittenOffWhenTheReaderGetsThere() throws Exception {
        try (Channel<byte[]> ch = Hopper.builder(byte[].class, dir).inMemoryBytes(0).compression(Compression.NONE)
                .diskBytes(8 * 2048).maxDiskFiles(8).open()) {
            send(ch, 0, 40);
        }
        List<Path> files = TestDirs.segmentFileList(dir);
        assertTrue(files.size() >= 2, files.toString());
        Path last = files.get(files.size() - 1);
        byte[] head = Files.readAllBytes(last);
        long firstInLast = SegmentFormat.frameRecordIndex(head, SegmentFormat.FILE_HEADER_BYTES);
        head[1] ^= 1; // its header no longer reads: set aside at open
        Files.write(last, head);
        try (Channel<byte[]> ch = Hopper.builder(byte[].class, dir).inMemoryBytes(0).compression(Compression.NONE)
                .diskBytes(8 * 2048).maxDiskFiles(8).open()) {
            assertEquals(1, ch.stats().filesRepaired());
            assertEquals(range(0, firstInLast), drain(ch));
            assertEquals(40 - firstInLast, ch.stats().recordsLost(), "the cursor knew 40 records were written");
            assertEquals(1, ch.stats().corruptFramesSkipped());
            send(ch, 40, 42);
            assertEquals(List.of(40L, 41L), drain(ch), "new records follow the gap");
        }
    }

    // ---- damage found while the channel is open ------------------------------------------

    /** Offset of frame {@code k} (0-based) in a queue file. */
    private static long frameOffset(Path file, int k) throws IOException {
        return io.hopper.internal.segment.Frames.offset(file, SegmentFormat.FILE_HEADER_BYTES, k);
    }

    private static void flip(Path file, long offset) throws IOException {
        io.hopper.internal.segment.Frames.flipByte(file, offset, 0x5A);
    }

    private Path onlyFile() {
        List<Path> files = TestDirs.segmentFileList(dir);
        assertEquals(1, files.size(), files.toString());
        return files.get(0);
    }

    @Test
    void aDamagedPayloadCostsExactlyItsRecord() throws Exception {
        try (Channel<byte[]> ch = diskOnly()) {
            send(ch, 0, 10);
            Path f = onlyFile();
            flip(f, frameOffset(f, 3) + SegmentFormat.FRAME_HEADER_BYTES + 50);
            List<Long> expected = range(0, 10);
            expected.remove(3L);
            assertEquals(expected, drain(ch));
            assertEquals(1, ch.stats().recordsLost());
            assertEquals(1, ch.stats().corruptFramesSkipped());
            send(ch, 10, 12);
            assertEquals(List.of(10L, 11L), drain(ch));
            assertEquals(1, ch.stats().recordsLost());
        }
    }

    @Test
    void aDamagedLastPayloadOfTheFileBeingWrittenCostsOnlyItsRecord() throws Exception {
        try (Channel<byte[]> ch = diskOnly()) {
            send(ch, 0, 10);
            Path f = onlyFile();
            flip(f, frameOffset(f, 9) + SegmentFormat.FRAME_HEADER_BYTES + 10);
            assertEquals(range(0, 9), drain(ch));
            assertEquals(1, ch.stats().recordsLost());
            assertEquals(1, ch.stats().corruptFramesSkipped());
        }
    }

    @Test
    void aDamagedFrameHeaderCostsItsRecordAndDamageAtTheEndMakesWritingMoveOn() throws Exception {
        try (Channel<byte[]> ch = diskOnly()) {
            send(ch, 0, 10);
            Path f = onlyFile();
            long last = frameOffset(f, 9);
            flip(f, frameOffset(f, 3) + 1); // record 3's length: reading resumes at record 4
            flip(f, last + 1); // the last frame of the file being written: nothing intact after it
            List<Long> expected = new ArrayList<>(range(0, 3));
            expected.addAll(range(4, 9));
            assertEquals(expected, drain(ch));
            assertEquals(2, ch.stats().recordsLost());
            assertEquals(2, ch.stats().corruptFramesSkipped());
            send(ch, 10, 13);
            assertEquals(range(10, 13), drain(ch));
            assertEquals(2, ch.stats().recordsLost());
            assertTrue(TestDirs.segmentFileList(dir).size() <= 2, "the damaged file is not kept forever");
        }
    }

    @Test
    void aDamagedFileHeaderWritesOffTheWholeFile() throws Exception {
        try (Channel<byte[]> ch = diskOnly()) {
            send(ch, 0, 10);
            flip(onlyFile(), 2);
            assertEquals(List.of(), drain(ch));
            assertEquals(10, ch.stats().recordsLost());
            assertEquals(1, ch.stats().corruptFramesSkipped());
            send(ch, 10, 11);
            assertEquals(List.of(10L), drain(ch));
        }
    }

    @Test
    void aFrameThatClaimsALaterIndexWritesOffTheGapAndDeliversOnlyNewerRecords() throws Exception {
        try (Channel<byte[]> ch = diskOnly()) {
            send(ch, 0, 10);
            Path f = onlyFile();
            long at = frameOffset(f, 3);
            byte[] h = new byte[SegmentFormat.FRAME_HEADER_BYTES];
            try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
                raf.seek(at);
                raf.readFully(h);
                // Rewrite frame 3 as if it held record index 5, with a valid header checksum.
                SegmentFormat.writeFrameHeader(h, 0, SegmentFormat.framePayloadLength(h, 0),
                        SegmentFormat.framePayloadCrc(h, 0), SegmentFormat.frameFlags(h, 0), 1, 5);
                raf.seek(at);
                raf.write(h);
            }
            // Records 3 and 4 are written off; frame 3's payload is delivered as the fifth index
            // (it is record 3's bytes); frames 4 and 5 are older than the read position by then.
            assertEquals(List.of(0L, 1L, 2L, 3L, 6L, 7L, 8L, 9L), drain(ch));
            assertEquals(2, ch.stats().recordsLost());
        }
    }

    @Test
    void aFrameWithAValidChecksumThatDoesNotDecodeCostsOnlyItsRecord() throws Exception {
        try (Channel<byte[]> ch = diskOnly()) {
            send(ch, 0, 6);
            Path f = onlyFile();
            long at = frameOffset(f, 2);
            byte[] h = new byte[SegmentFormat.FRAME_HEADER_BYTES];
            try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
                raf.seek(at);
                raf.readFully(h);
                // Claim LZ4 for a payload that is not: checksums stay valid, decoding fails.
                SegmentFormat.writeFrameHeader(h, 0, SegmentFormat.framePayloadLength(h, 0),
                        SegmentFormat.framePayloadCrc(h, 0), SegmentFormat.FLAG_COMPRESSED, 1,
                        SegmentFormat.frameRecordIndex(h, 0));
                raf.seek(at);
                raf.write(h);
            }
            assertEquals(List.of(0L, 1L, 3L, 4L, 5L), drain(ch));
            assertEquals(1, ch.stats().recordsLost());
            assertEquals(1, ch.stats().corruptFramesSkipped());
            assertEquals(5, ch.stats().recordsReadFromDisk());
        }
    }

    @Test
    void aTruncatedFileWritesOffWhatIsMissing() throws Exception {
        try (Channel<byte[]> ch = Hopper.builder(byte[].class, dir).inMemoryBytes(0).compression(Compression.NONE)
                .diskBytes(16 * 65536).maxDiskFiles(16).storage(StorageBackend.FILE_CHANNEL).open()) {
            send(ch, 0, 10);
            Path f = onlyFile();
            long cut = frameOffset(f, 6) + 10;
            try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
                raf.setLength(cut);
            }
            assertEquals(range(0, 6), drain(ch));
            assertEquals(4, ch.stats().recordsLost());
            assertEquals(1, ch.stats().corruptFramesSkipped());
            send(ch, 10, 11);
            assertEquals(List.of(10L), drain(ch));
        }
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(value = StorageBackend.class, names = {"CHRONICLE_BYTES",
        "FILE_CHANNEL"})
    void recordsOfEverySizeAroundTheReadWindowComeBackWhole(StorageBackend storage) throws Exception {
        int window = 64 * 1024;
        int[] sizes = {100, window - 24 - 8, window - 24, window - 23, window, window + 1, 3 * window, 2 << 20, 100,
            window + 100, 17};
        try (Channel<byte[]> ch = Hopper.builder(byte[].class, dir).inMemoryBytes(0).compression(Compression.NONE)
                .diskBytes(64L << 20).maxDiskFiles(8).storage(storage).open()) {
            long seq = 0;
            for (int size : sizes) {
                // Runs of records so that frames straddle the window's edge at many offsets.
                for (int k = 0; k < 3; k++) {
                    assertTrue(ch.sender().offer(Records.make(0, seq++, size)));
                }
            }
            for (long i = 0; i < seq; i++) {
                byte[] r = ch.receiver().poll();
                assertTrue(r != null && Records.valid(r), "record " + i);
                assertEquals(i, Records.seq(r));
                assertEquals(sizes[(int) (i / 3)], r.length);
            }
            assertNull(ch.receiver().poll());
            assertEquals(0, ch.stats().recordsLost());
        }
    }
}
