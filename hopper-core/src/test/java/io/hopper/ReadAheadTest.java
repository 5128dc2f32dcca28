package io.hopper;

import io.hopper.testkit.Records;
import io.hopper.testkit.Shapes;
import io.hopper.testkit.TestDirs;

import io.hopper.internal.segment.Frames;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Decoding disk records ahead of the consumer ({@code readAhead(true)}) changes who decodes, never
 * what arrives: the same records in the same order, damage skipped and counted as without it, and
 * the read position, commits and close governed by what the consumer took. The contract suite also
 * runs half its specs with read-ahead on.
 */
class ReadAheadTest {

    private static final int BACKLOG = 20_000;

    private static Channel<Shapes.Event> events(Path dir, StorageBackend storage, boolean readAhead,
                                                CommitMode commit) throws Exception {
        return Hopper.builder(Shapes.Event.class, dir).storage(storage).inMemoryBytes(0)
                .diskBytes(256L << 20).maxDiskFiles(16).commitMode(commit).readAhead(readAhead).open();
    }

    @ParameterizedTest
    @EnumSource(StorageBackend.class)
    void aBacklogDrainsWholeAndInOrderWithMostRecordsDecodedAhead(StorageBackend storage) throws Exception {
        Path dir = TestDirs.create();
        try (Channel<Shapes.Event> ch = events(dir, storage, true, CommitMode.AUTO)) {
            for (long i = 0; i < BACKLOG; i++) {
                ch.sender().send(Shapes.event(i));
            }
            for (long i = 0; i < BACKLOG; i++) {
                Shapes.Event e = ch.receiver().poll(5, TimeUnit.SECONDS);
                assertTrue(Shapes.same(Shapes.event(i), e), "record " + i + ": " + e);
                if (i == 0) {
                    pauseForTheHelper();
                }
            }
            assertNull(ch.receiver().poll());
            long hits = ch.readAheadHits();
            assertTrue(hits > 0, "records decoded ahead: " + hits + " of " + BACKLOG);
            assertEquals(0, ch.stats().recordsLost());
        } finally {
            TestDirs.delete(dir);
        }
    }

    @ParameterizedTest
    @EnumSource(StorageBackend.class)
    void offItDecodesNothingAhead(StorageBackend storage) throws Exception {
        Path dir = TestDirs.create();
        try (Channel<Shapes.Event> ch = events(dir, storage, false, CommitMode.AUTO)) {
            for (long i = 0; i < 2_000; i++) {
                ch.sender().send(Shapes.event(i));
            }
            Shapes.assertReceivesEvents(ch, 0, 2_000);
            assertEquals(0, ch.readAheadHits());
            assertEquals(List.of(), helperThreads(dir), "no helper thread without read-ahead");
        } finally {
            TestDirs.delete(dir);
        }
    }

    /**
     * Payload damage in the middle of a backlog: the helper cannot decode those frames, the
     * consumer meets them itself and counts exactly them; everything around them is decoded ahead.
     */
    @ParameterizedTest
    @EnumSource(StorageBackend.class)
    void damagedPayloadsAreSkippedAndCountedExactly(StorageBackend storage) throws Exception {
        Path dir = TestDirs.create();
        int total = 5_000;
        List<Long> damaged = List.of(700L, 701L, 2_500L, 4_321L);
        try {
            try (Channel<byte[]> ch = Hopper.builder(byte[].class, dir).storage(storage).inMemoryBytes(0)
                    .diskBytes(64L << 20).maxDiskFiles(4).open()) {
                for (int i = 0; i < total; i++) {
                    ch.sender().send(Records.make(1, i, 200));
                }
            }
            for (long index : damaged) {
                flipPayloadByte(dir, index);
            }
            try (Channel<byte[]> ch = Hopper.builder(byte[].class, dir).storage(storage).inMemoryBytes(0)
                    .diskBytes(64L << 20).maxDiskFiles(4).readAhead(true).open()) {
                List<Long> got = new ArrayList<>();
                byte[] r;
                while ((r = ch.receiver().poll()) != null) {
                    assertTrue(Records.valid(r), "a damaged record was returned");
                    got.add(Records.seq(r));
                    if (got.size() == 1 || got.size() == 2_400) { // just before the damage at 2,500
                        pauseForTheHelper();
                    }
                }
                List<Long> want = new ArrayList<>();
                for (long i = 0; i < total; i++) {
                    if (!damaged.contains(i)) {
                        want.add(i);
                    }
                }
                assertEquals(want, got);
                assertEquals(damaged.size(), ch.stats().recordsLost(), ch.stats().toString());
                assertTrue(ch.readAheadHits() > 0, "decoded ahead: " + ch.readAheadHits());
            }
        } finally {
            TestDirs.delete(dir);
        }
    }

    private static void flipPayloadByte(Path dir, long index) throws Exception {
        for (Path f : TestDirs.segmentFileList(dir)) {
            long at = Frames.offsetOfRecord(f, index);
            if (at > 0) {
                try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
                    long p = at + io.hopper.internal.segment.SegmentFormat.FRAME_HEADER_BYTES + 9;
                    raf.seek(p);
                    int b = raf.read();
                    raf.seek(p);
                    raf.write(b ^ 0x40);
                }
                return;
            }
        }
        throw new AssertionError("record " + index + " is in no queue file");
    }

    /**
     * Values decoded ahead but not taken are not delivered: a close (AUTO) or an uncommitted
     * position (MANUAL) brings back exactly the records the consumer did not take or commit.
     */
    @ParameterizedTest
    @EnumSource(CommitMode.class)
    void aCloseWithValuesDecodedAheadResumesAtWhatTheConsumerTook(CommitMode commit) throws Exception {
        Path dir = TestDirs.create();
        int taken = 3_000;
        int committed = commit == CommitMode.MANUAL ? 2_000 : taken;
        try {
            try (Channel<Shapes.Event> ch = events(dir, StorageBackend.FILE_CHANNEL, true, commit)) {
                for (long i = 0; i < BACKLOG; i++) {
                    ch.sender().send(Shapes.event(i));
                }
                for (long i = 0; i < taken; i++) {
                    assertTrue(Shapes.same(Shapes.event(i), ch.receiver().poll()));
                    if (i == 0 || i == taken - 1) {
                        pauseForTheHelper(); // the last pause leaves values decoded ahead, not taken
                    }
                    if (commit == CommitMode.MANUAL && i + 1 == committed) {
                        ch.receiver().commit();
                    }
                }
                assertTrue(ch.readAheadHits() > 0, "the helper had decoded ahead before the close");
                assertNotNull(ch.receiver().peek()); // located, decoded ahead, not taken
            }
            try (Channel<Shapes.Event> ch = events(dir, StorageBackend.FILE_CHANNEL, false, commit)) {
                Shapes.assertReceivesEvents(ch, committed, BACKLOG);
                assertNull(ch.receiver().poll());
                assertEquals(0, ch.stats().recordsLost());
            }
            for (Thread t : helperThreads(dir)) {
                t.join(10_000);
                assertFalse(t.isAlive(), "the helper thread ends with its channel");
            }
        } finally {
            TestDirs.delete(dir);
        }
    }

    /**
     * Gives the helper time to decode the windows it holds (up to three of 64 KiB) while the
     * consumer is busy elsewhere, as a consumer doing work per record would be. Not a timing
     * assertion: the tests assert only that some value was decoded ahead, which one such pause
     * makes as good as certain.
     */
    private static void pauseForTheHelper() throws InterruptedException {
        Thread.sleep(200);
    }

    /** The live read-ahead threads of the channel in {@code dir}. */
    private static List<Thread> helperThreads(Path dir) {
        String name = "hopper-read-ahead " + dir.getFileName();
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(name)).toList();
    }

    /**
     * Under {@code ALWAYS} the consumer reads only forced records; the helper may decode bytes
     * beyond them, and none of those reaches the consumer before its force. Concurrent producers
     * and a consumer that reads ahead: every record once, in each producer's order.
     */
    @ParameterizedTest
    @EnumSource(StorageBackend.class)
    void forcedOnlyReadingWithConcurrentProducersDeliversEachRecordOnceInOrder(StorageBackend storage)
            throws Exception {
        Path dir = TestDirs.create();
        int producers = 3;
        int perProducer = 3_000;
        try (Channel<byte[]> ch = Hopper.builder(byte[].class, dir).storage(storage).inMemoryBytes(64 << 10)
                .diskBytes(64L << 20).maxDiskFiles(8).syncPolicy(SyncPolicy.ALWAYS).readAhead(true).open()) {
            List<Thread> threads = new ArrayList<>();
            for (int p = 0; p < producers; p++) {
                int id = p;
                Thread t = new Thread(() -> {
                    try {
                        for (int i = 0; i < perProducer; i++) {
                            ch.sender().send(Records.make(id, i, 400));
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                t.start();
                threads.add(t);
            }
            long[] next = new long[producers];
            for (int n = 0; n < producers * perProducer; n++) {
                byte[] r = ch.receiver().poll(30, TimeUnit.SECONDS);
                assertNotNull(r, "record " + n + " never came");
                assertTrue(Records.valid(r));
                int p = Records.producer(r);
                assertEquals(next[p]++, Records.seq(r), "producer " + p + " order");
                if (n == 100) {
                    pauseForTheHelper();
                }
            }
            for (Thread t : threads) {
                t.join();
            }
            assertNull(ch.receiver().poll());
        } finally {
            TestDirs.delete(dir);
        }
    }

    /**
     * {@code DROP_OLDEST} evicts files under a consumer that reads ahead: the consumer still gets
     * an increasing run of what survived, and every record sent is received or counted as evicted.
     */
    @ParameterizedTest
    @EnumSource(StorageBackend.class)
    void evictionUnderAReadAheadConsumerKeepsOrderAndCountsEveryRecord(StorageBackend storage) throws Exception {
        Path dir = TestDirs.create();
        try (Channel<byte[]> ch = Hopper.builder(byte[].class, dir).storage(storage).inMemoryBytes(0)
                .diskBytes(1 << 20).maxDiskFiles(4).overflow(OverflowPolicy.DROP_OLDEST).readAhead(true).open()) {
            int total = 40_000;
            AtomicLong sent = new AtomicLong();
            Thread producer = new Thread(() -> {
                try {
                    for (int i = 0; i < total; i++) {
                        ch.sender().send(Records.make(1, i, 300));
                        sent.incrementAndGet();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            producer.start();
            long last = -1;
            long received = 0;
            for (;;) {
                boolean producing = producer.isAlive();
                byte[] r = ch.receiver().poll(1, TimeUnit.MILLISECONDS);
                if (r == null) {
                    if (producing) {
                        continue;
                    }
                    break; // the producer had finished before this poll found nothing
                }
                assertTrue(Records.valid(r));
                long seq = Records.seq(r);
                assertTrue(seq > last, "record " + seq + " after " + last);
                last = seq;
                received++;
                if (received % 64 == 0) {
                    Thread.sleep(1); // slower than the producer: files get evicted
                }
            }
            producer.join();
            assertEquals(total, sent.get());
            ChannelStats s = ch.stats();
            assertTrue(s.recordsEvicted() > 0, "the budget forced evictions: " + s);
            assertEquals(total, received + s.recordsEvicted(), s.toString());
            assertEquals(0, s.recordsLost(), s.toString());
        } finally {
            TestDirs.delete(dir);
        }
    }
}
