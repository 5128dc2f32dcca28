package io.hopper;

import io.hopper.testkit.Records;
import io.hopper.testkit.TestDirs;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The channel's guarantees as properties over random budgets, record sizes, producer counts,
 * storage back ends and compression. Each runs at least 200 tries.
 */
class ChannelProperties {

    /** A channel configuration and workload. */
    record Setup(StorageBackend storage, Compression compression, long memBytes, int files, long segBytes,
                 int producers, int perProducer, int maxRecordSize, long seed) {

        long diskBytes() {
            return segBytes * files;
        }

        Channel<byte[]> open(Path dir) throws Exception {
            return Hopper.builder(byte[].class, dir)
                    .storage(storage).compression(compression)
                    .inMemoryBytes(memBytes).diskBytes(diskBytes()).maxDiskFiles(files)
                    .weigher(Records::weight)
                    .open();
        }

        int size(Random rnd) {
            return Records.MIN_SIZE + rnd.nextInt(maxRecordSize - Records.MIN_SIZE + 1);
        }
    }

    private static Arbitrary<Setup> setups(int minProducers, int maxProducers) {
        Arbitrary<StorageBackend> storage = Arbitraries.of(StorageBackend.CHRONICLE_BYTES, StorageBackend.FILE_CHANNEL);
        Arbitrary<Compression> compression = Arbitraries.of(Compression.class);
        // Memory: from less than one record to many records.
        Arbitrary<Long> mem = Arbitraries.longs().between(0, 40_000);
        Arbitrary<Integer> files = Arbitraries.integers().between(1, 8);
        Arbitrary<Long> seg = Arbitraries.longs().between(512, 16_384);
        Arbitrary<Integer> producers = Arbitraries.integers().between(minProducers, maxProducers);
        Arbitrary<Integer> perProducer = Arbitraries.integers().between(0, 600);
        Arbitrary<Integer> maxSize = Arbitraries.integers().between(Records.MIN_SIZE, 300);
        Arbitrary<Long> seed = Arbitraries.longs();
        return Combinators.combine(storage, compression, mem, files, seg, producers, perProducer, maxSize)
                .flatAs((st, c, m, f, s, p, n, ms) -> seed.map(sd -> new Setup(st, c, m,
                        c == Compression.LZ4_BLOCKS ? Math.max(2, f) : f, s, p, n, ms, sd))); // blocks need 2 files
    }

    /** Without rewriting in blocks, which gives disk room back on its own thread at any moment. */
    private static Arbitrary<Setup> setupsWithFixedFiles(int minProducers, int maxProducers) {
        return setups(minProducers, maxProducers).filter(s -> s.compression() != Compression.LZ4_BLOCKS);
    }

    @Provide
    Arbitrary<Setup> oneProducerFixedFiles() {
        return setupsWithFixedFiles(1, 1);
    }

    @Provide
    Arbitrary<Setup> oneProducer() {
        return setups(1, 1);
    }

    @Provide
    Arbitrary<Setup> manyProducers() {
        return setups(1, 8);
    }

    /** (a) One producer: every record is received exactly once and in order. */
    @Property
    void singleProducerReceivesEverythingInOrder(@ForAll("oneProducer") Setup s) throws Exception {
        List<byte[]> got = run(s, null);
        assertEquals(s.perProducer(), got.size());
        for (int i = 0; i < got.size(); i++) {
            assertTrue(Records.valid(got.get(i)));
            assertEquals(i, Records.seq(got.get(i)), "position " + i);
        }
    }

    /** (b) 1-8 producers: the multiset received equals the multiset sent and per-producer order holds. */
    @Property
    void manyProducersLoseNothingAndKeepTheirOrder(@ForAll("manyProducers") Setup s) throws Exception {
        List<byte[]> got = run(s, null);
        assertEquals(s.producers() * s.perProducer(), got.size());
        Map<Integer, Long> next = new HashMap<>();
        for (byte[] r : got) {
            assertTrue(Records.valid(r));
            long expected = next.getOrDefault(Records.producer(r), 0L);
            assertEquals(expected, Records.seq(r), "producer " + Records.producer(r));
            next.put(Records.producer(r), expected + 1);
        }
        for (int p = 0; p < s.producers(); p++) {
            assertEquals(s.perProducer(), next.getOrDefault(p, 0L).longValue(), "producer " + p + " complete");
        }
    }

    /**
     * A disk budget of one small file, with memory from none to a few records: every few records
     * fill the file, and a producer needs it sealed, read and deleted before it can go on. Here a
     * producer whose own append sealed a file the consumer had already read waited for a wake-up
     * that nobody owed it (the file was deletable, and only a release deletes it), until the
     * consumer's receive timed out. The general property above met that once in many CI runs;
     * before the fix this one met it in one run of three (200 tries, 4 s), and
     * {@code SenderMachineTest} replays the interleaving deterministically.
     */
    @Property
    void manyProducersThroughOneSmallFileNeverWaitForADeletableFile(@ForAll("oneSmallFile") Setup s) throws Exception {
        List<byte[]> got = run(s, null);
        assertEquals(s.producers() * s.perProducer(), got.size());
    }

    @Provide
    Arbitrary<Setup> oneSmallFile() {
        Arbitrary<StorageBackend> storage = Arbitraries.of(StorageBackend.CHRONICLE_BYTES, StorageBackend.FILE_CHANNEL);
        Arbitrary<Compression> compression = Arbitraries.of(Compression.NONE, Compression.LZ4);
        Arbitrary<Long> mem = Arbitraries.longs().between(0, 400);
        Arbitrary<Long> seg = Arbitraries.longs().between(512, 2048);
        Arbitrary<Integer> producers = Arbitraries.integers().between(2, 8);
        Arbitrary<Integer> perProducer = Arbitraries.integers().between(1, 12);
        Arbitrary<Integer> maxSize = Arbitraries.integers().between(Records.MIN_SIZE, 300);
        Arbitrary<Long> seed = Arbitraries.longs();
        return Combinators.combine(storage, compression, mem, seg, producers, perProducer, maxSize, seed)
                .as((st, c, m, sg, p, n, ms, sd) -> new Setup(st, c, m, 1, sg, p, n, ms, sd));
    }

    /** (c) The memory and disk byte bounds are never exceeded, sampled throughout the run. */
    @Property
    void byteBoundsHoldThroughout(@ForAll("manyProducers") Setup s) throws Exception {
        AtomicReference<String> violation = new AtomicReference<>();
        int[] samples = {0};
        run(s, ch -> {
            ChannelStats st = ch.stats();
            long files = TestDirs.segmentFiles(ch.directory());
            long fileBytes = TestDirs.segmentBytes(ch.directory());
            samples[0]++;
            // Rewritten files are smaller: with LZ4_BLOCKS the budget counts bytes, and up to 64 times as many files.
            int maxFiles = s.compression() == Compression.LZ4_BLOCKS ? 64 * s.files() : s.files();
            if (st.bytesInMemory() > st.inMemoryBytesLimit() || st.bytesOnDisk() > s.diskBytes()
                    || fileBytes > s.diskBytes() + pageSlack(s) || files > maxFiles || st.diskFiles() > maxFiles) {
                violation.compareAndSet(null, st + " files on disk=" + files + " bytes in files=" + fileBytes);
            }
        });
        assertEquals(null, violation.get());
        assertTrue(samples[0] > 0);
    }

    /**
     * (d) offer returns false only when memory cannot take the record and every queue file is in
     * use. Not with {@link Compression#LZ4_BLOCKS}: its rewrites make room at moments a test cannot
     * pin down, and its byte budget is covered by (c) and {@code BlockCompressionTest}.
     */
    @Property
    void offerFailsOnlyWhenBothTiersAreFull(@ForAll("oneProducerFixedFiles") Setup s) throws Exception {
        Path dir = TestDirs.create();
        try (Channel<byte[]> ch = s.open(dir)) {
            Random rnd = new Random(s.seed());
            long sent = 0;
            long received = 0;
            int falses = 0;
            for (int step = 0; step < 3 * s.perProducer(); step++) {
                if (rnd.nextInt(3) > 0) {
                    byte[] r = Records.make(0, sent, s.size(rnd));
                    if (ch.sender().offer(r)) {
                        sent++;
                    } else {
                        falses++;
                        ChannelStats st = ch.stats();
                        assertTrue(st.bytesInMemory() + Records.weight(r) > st.inMemoryBytesLimit(),
                                "memory had room: " + st);
                        assertEquals(st.maxDiskFiles(), st.diskFiles(), "a queue file was free: " + st);
                    }
                } else if (received < sent) {
                    byte[] r = ch.receiver().poll();
                    assertEquals(received, Records.seq(r));
                    received++;
                }
            }
            while (received < sent) {
                assertEquals(received, Records.seq(ch.receiver().poll()));
                received++;
            }
        } finally {
            TestDirs.delete(dir);
        }
    }

    /**
     * Chronicle maps whole pages: with files smaller than a page, the one being written has an
     * apparent size of a page until it is sealed and trimmed (documented in docs/guarantees.md).
     */
    private static long pageSlack(Setup s) {
        return s.storage() == StorageBackend.CHRONICLE_BYTES && s.segBytes() < 4096 ? 4096 : 0;
    }

    interface Sampler {
        void sample(Channel<byte[]> ch);
    }

    /** The stacks of the pool's threads and hopper's own, for a failure message. */
    private static String channelThreads() {
        StringBuilder b = new StringBuilder();
        Thread.getAllStackTraces().forEach((t, stack) -> {
            if (t.getName().startsWith("pool-") || t.getName().startsWith("hopper")) {
                b.append("\n  ").append(t.getName()).append(' ').append(t.getState());
                for (int i = 0; i < Math.min(stack.length, 16); i++) {
                    b.append("\n    at ").append(stack[i]);
                }
            }
        });
        return b.toString();
    }

    /** Runs the setup's producers against one consumer and returns what the consumer received. */
    static List<byte[]> run(Setup s, Sampler sampler) throws Exception {
        Path dir = TestDirs.create();
        ExecutorService pool = Executors.newFixedThreadPool(s.producers() + 1);
        try (Channel<byte[]> ch = s.open(dir)) {
            int total = s.producers() * s.perProducer();
            Future<List<byte[]>> consumer = pool.submit(() -> {
                List<byte[]> got = new ArrayList<>(total);
                Random rnd = new Random(s.seed() ^ 1);
                while (got.size() < total) {
                    byte[] r = ch.receiver().poll(30, TimeUnit.SECONDS);
                    if (r == null) {
                        // A stall: the stacks of every thread that touches the channel say where the
                        // consumer, producers and helpers were (how a producer waiting for a file it
                        // could have deleted itself was found).
                        throw new AssertionError("no record for 30 s after " + got.size() + " of " + total
                                + "; " + ch.stats() + "; threads:" + channelThreads());
                    }
                    got.add(r);
                    if (sampler != null && rnd.nextInt(16) == 0) {
                        sampler.sample(ch);
                    }
                }
                return got;
            });
            List<Future<?>> producers = new ArrayList<>();
            for (int p = 0; p < s.producers(); p++) {
                int id = p;
                producers.add(pool.submit(() -> {
                    Random rnd = new Random(s.seed() + id);
                    for (long i = 0; i < s.perProducer(); i++) {
                        ch.sender().send(Records.make(id, i, s.size(rnd)));
                        if (sampler != null && rnd.nextInt(32) == 0) {
                            sampler.sample(ch);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : producers) {
                f.get(60, TimeUnit.SECONDS);
            }
            List<byte[]> got = consumer.get(60, TimeUnit.SECONDS);
            if (sampler != null) {
                sampler.sample(ch);
            }
            assertEquals(null, ch.receiver().poll(), "nothing beyond what was sent");
            return got;
        } finally {
            pool.shutdownNow();
            pool.awaitTermination(10, TimeUnit.SECONDS);
            TestDirs.delete(dir);
        }
    }
}
