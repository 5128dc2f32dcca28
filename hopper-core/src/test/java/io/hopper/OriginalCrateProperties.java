package io.hopper;

import io.hopper.testkit.TestDirs;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The original Rust crate's QuickCheck round trips, ported: a single sender then a single
 * receiver; 1–10 concurrent senders with a receiver running alongside; and the same round trip
 * repeated on one channel. Budgets and values are generated; each sender sends every value, so
 * a receiver can check each sender's order exactly. {@code @Example}s replay, with fixed inputs,
 * the failures this port and the original met.
 */
class OriginalCrateProperties {

    private static Channel<Long> open(Path dir, long memBytes, int files, long diskBytes) throws Exception {
        return Hopper.builder(Long.class, dir).inMemoryBytes(memBytes).weigher(x -> 8)
                .diskBytes(Math.max(diskBytes, files * 256L)).maxDiskFiles(files).open();
    }

    /** Sender {@code s}'s encoding of value index {@code i}: the receiver recovers both. */
    private static long tag(int sender, int index) {
        return ((long) sender << 32) | index;
    }

    /**
     * Every sender sends all of {@code values} (as tags carrying its id and the index) with
     * blocking sends while one receiver takes them; returns what the receiver got.
     */
    static List<Long> concurrentRoundTrip(Path dir, int senders, long memBytes, int files, long diskBytes,
                                          int values) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(senders + 1);
        try (Channel<Long> ch = open(dir, memBytes, files, diskBytes)) {
            int total = senders * values;
            Future<List<Long>> received = pool.submit(() -> {
                List<Long> got = new ArrayList<>(total);
                for (int i = 0; i < total; i++) {
                    got.add(ch.receiver().receive());
                }
                return got;
            });
            List<Future<?>> sends = new ArrayList<>();
            for (int s = 0; s < senders; s++) {
                int id = s;
                sends.add(pool.submit(() -> {
                    for (int i = 0; i < values; i++) {
                        ch.sender().send(tag(id, i));
                    }
                    return null;
                }));
            }
            for (Future<?> f : sends) {
                f.get(2, TimeUnit.MINUTES);
            }
            List<Long> got = received.get(2, TimeUnit.MINUTES);
            assertNull(ch.receiver().poll(), "nothing beyond what was sent");
            assertEquals(0, ch.stats().recordsLost());
            return got;
        } finally {
            pool.shutdownNow();
        }
    }

    static void assertEverySenderInOrder(List<Long> got, int senders, int values) {
        assertEquals((long) senders * values, got.size(), "records received");
        int[] next = new int[senders];
        for (long v : got) {
            int s = (int) (v >>> 32);
            assertEquals(next[s], (int) v, "sender " + s + " out of order");
            next[s]++;
        }
        for (int s = 0; s < senders; s++) {
            assertEquals(values, next[s], "sender " + s + " complete");
        }
    }

    @Provide
    Arbitrary<Long> memory() {
        return Arbitraries.longs().between(0, 4096);
    }

    /** Single sender, then single receiver: everything comes back in order, through both tiers. */
    @Property
    void singleSenderSingleReceiverRoundTrip(@ForAll @Size(max = 2000) List<Long> values,
                                             @ForAll("memory") long memBytes,
                                             @ForAll @IntRange(min = 1, max = 16) int files) throws Exception {
        Path dir = TestDirs.create();
        try (Channel<Long> ch = open(dir, memBytes, files, 64L << 10)) {
            List<Long> sent = new ArrayList<>();
            for (long v : values) {
                if (!ch.sender().offer(v)) {
                    break; // both tiers full: the rest stays with the caller
                }
                sent.add(v);
            }
            for (long v : sent) {
                assertEquals(v, ch.receiver().poll());
            }
            assertNull(ch.receiver().poll());
        } finally {
            TestDirs.delete(dir);
        }
    }

    /** 1–10 senders with a receiver running alongside: nothing lost, each sender's order kept. */
    @Property
    void multiSenderConcurrentRoundTrip(@ForAll @IntRange(min = 1, max = 10) int senders,
                                        @ForAll("memory") long memBytes,
                                        @ForAll @IntRange(min = 1, max = 16) int files,
                                        @ForAll @LongRange(min = 4096, max = 262_144) long diskBytes,
                                        @ForAll @IntRange(min = 0, max = 1000) int values) throws Exception {
        Path dir = TestDirs.create();
        try {
            assertEverySenderInOrder(concurrentRoundTrip(dir, senders, memBytes, files, diskBytes, values),
                    senders, values);
        } finally {
            TestDirs.delete(dir);
        }
    }

    /** The round trip repeated on one channel, as the original's repeat loop: state carries over. */
    @Property
    void repeatedRoundTripsOnOneChannel(@ForAll("memory") long memBytes,
                                        @ForAll @IntRange(min = 1, max = 8) int files,
                                        @ForAll @IntRange(min = 1, max = 40) int loops,
                                        @ForAll @IntRange(min = 1, max = 300) int perLoop) throws Exception {
        Path dir = TestDirs.create();
        try (Channel<Long> ch = open(dir, memBytes, files, 1L << 20)) {
            long next = 0;
            for (int loop = 0; loop < loops; loop++) {
                long start = next;
                for (int i = 0; i < perLoop; i++) {
                    ch.sender().send(next++);
                }
                for (long v = start; v < next; v++) {
                    assertEquals(v, ch.receiver().poll(), "loop " + loop);
                }
                assertNull(ch.receiver().poll(), "loop " + loop + " left something behind");
            }
        } finally {
            TestDirs.delete(dir);
        }
    }

    // ---- past failures, replayed with fixed inputs ------------------------------------------

    /**
     * The original crate's "last record stuck" bug: a record written to disk was only seen once
     * another send pushed a marker. An odd number of records, all spilled, no flush.
     */
    @Example
    void anOddNumberOfSpilledRecordsIsReceivedWithoutAnotherSend() throws Exception {
        Path dir = TestDirs.create();
        try (Channel<Long> ch = open(dir, 0, 4, 1 << 20)) {
            for (long v = 0; v < 7; v++) {
                ch.sender().send(v);
            }
            for (long v = 0; v < 7; v++) {
                assertEquals(v, ch.receiver().poll(1, TimeUnit.SECONDS), "record " + v);
            }
        } finally {
            TestDirs.delete(dir);
        }
    }

    /**
     * Found by the properties here (commit "Fix two wake-up races"): with one queue file, a
     * producer blocked for room and a consumer that had read the file's last record waited on
     * each other, because a drained file was only deleted when its END frame was read.
     */
    @Example
    void oneFileManyBlockedSendersAndAnIdleReceiverDoNotWaitOnEachOther() throws Exception {
        roundTripInAFreshDirectory(8, 0, 500);
    }

    /** The same wake-up race with a memory tier that holds a single record. */
    @Example
    void aOneRecordMemoryTierAndOneFileKeepTenSendersMoving() throws Exception {
        roundTripInAFreshDirectory(10, 8, 300);
    }

    /** A concurrent round trip through one 4 KiB queue file. */
    private static void roundTripInAFreshDirectory(int senders, long memBytes, int values) throws Exception {
        Path dir = TestDirs.create();
        try {
            assertEverySenderInOrder(concurrentRoundTrip(dir, senders, memBytes, 1, 4096, values), senders, values);
        } finally {
            TestDirs.delete(dir);
        }
    }

    /** The original crate's phantom-record bug: a small record after a large one must not pick up stale bytes. */
    @Example
    void recordsOfShrinkingSizeDecodeExactly() throws Exception {
        Path dir = TestDirs.create();
        try (Channel<byte[]> ch = Hopper.builder(byte[].class, dir).inMemoryBytes(0)
                .diskBytes(1 << 20).maxDiskFiles(2).compression(Compression.NONE).open()) {
            for (int size = 4096; size >= 0; size = size == 0 ? -1 : size / 2) {
                byte[] r = new byte[size];
                java.util.Arrays.fill(r, (byte) size);
                ch.sender().send(r);
            }
            for (int size = 4096; size >= 0; size = size == 0 ? -1 : size / 2) {
                byte[] r = ch.receiver().poll();
                assertEquals(size, r.length);
                for (byte b : r) {
                    assertEquals((byte) size, b);
                }
            }
        } finally {
            TestDirs.delete(dir);
        }
    }
}
