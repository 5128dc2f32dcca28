package io.hopper;

import io.hopper.testkit.Records;
import io.hopper.testkit.Shapes;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;
import java.util.function.ToLongFunction;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One contract, every spec: storage back end x tier x record shape x commit mode, as JCTools runs
 * one sanity suite against every queue. Each behaviour docs/guarantees.md promises is checked for each
 * combination, so a guarantee that holds only for one concrete class or only in memory fails here.
 */
class ChannelContractTest {

    /** Where records live while queued. */
    enum Tier {
        /** Everything fits in memory. */
        MEMORY(4096L * 256),
        /** Every record is spilled. */
        DISK(0),
        /** A few records in memory, the rest on disk, interleaved. */
        MIXED(8L * 256);

        final long memoryBytes;

        Tier(long memoryBytes) {
            this.memoryBytes = memoryBytes;
        }
    }

    /** A record shape: how to make the record with key {@code k}, and how to read the key back. */
    enum Shape {
        CONCRETE(Shapes.Log.class, k -> new Shapes.Log(k, "h", Shapes.Level.INFO, "m" + k, Map.of()),
                v -> ((Shapes.Log) v).ts()),
        SEALED(Shapes.Event.class, Shapes::event, v -> ((Shapes.Event) v).ts() - 1_764_000_000_000L),
        OBJECT(Object.class, Shape::jdk, Shape::jdkKey),
        PLAIN(Shapes.Reading.class, Shapes::reading, v -> Long.parseLong(((Shapes.Reading) v).sensor.substring(1))),
        BYTES(byte[].class, k -> Records.make((int) (k >>> 32), (int) k, 40 + (int) (k % 50)),
                v -> ((long) Records.producer((byte[]) v) << 32) | Records.seq((byte[]) v)),
        /** Log lines: stored as their UTF-8 (plain records), so every width of UTF-8 is in them. */
        STRING(String.class, k -> "rec|" + k + "|grüße 世界 \uD834\uDD1E " + "x".repeat((int) Math.floorMod(k, 60)),
                v -> Long.parseLong(((String) v).substring(4, ((String) v).indexOf('|', 4))));

        final Class<?> type;
        final LongFunction<Object> make;
        final ToLongFunction<Object> key;

        Shape(Class<?> type, LongFunction<Object> make, ToLongFunction<Object> key) {
            this.type = type;
            this.make = make;
            this.key = key;
        }

        /** JDK types of every kind, each carrying its key somewhere. */
        private static Object jdk(long k) {
            switch ((int) (k % 5)) {
                case 0: return "k" + k;
                case 1: return k;
                case 2: return new UUID(k, 42);
                case 3: return new long[] {k, 1};
                default: return new ArrayList<>(List.of(k, Shapes.jdkValue(k)));
            }
        }

        private static long jdkKey(Object v) {
            if (v instanceof String s) {
                return Long.parseLong(s.substring(1));
            } else if (v instanceof Long l) {
                return l;
            } else if (v instanceof UUID u) {
                return u.getMostSignificantBits();
            } else if (v instanceof long[] a) {
                return a[0];
            }
            List<?> l = (List<?>) v;
            assertTrue(Shapes.same(Shapes.jdkValue((Long) l.get(0)), l.get(1)), "JDK value intact: " + v);
            return (Long) l.get(0);
        }
    }

    record Spec(StorageBackend storage, Tier tier, Shape shape, CommitMode commit) {
        /**
         * Read-ahead on for half the specs, chosen so that every tier and shape runs with it on
         * and off, under each back end and each commit mode, without doubling the suite.
         */
        boolean readAhead() {
            return (storage == StorageBackend.CHRONICLE_BYTES) == (commit == CommitMode.AUTO);
        }

        /**
         * Sealed files rewritten in blocks ({@link Compression#LZ4_BLOCKS}) for the other half, chosen
         * so that every tier, shape, commit mode and back end runs with it on and off, and some
         * specs with read-ahead too.
         */
        Compression compression() {
            return (tier.ordinal() + shape.ordinal() + commit.ordinal()) % 2 == 0 ? Compression.LZ4_BLOCKS
                    : Compression.LZ4;
        }

        @Override
        public String toString() {
            return storage + "/" + tier + "/" + shape + "/" + commit + (readAhead() ? "/read-ahead" : "")
                    + (compression() == Compression.LZ4_BLOCKS ? "/blocks" : "");
        }
    }

    static Stream<Spec> specs() {
        List<Spec> all = new ArrayList<>();
        for (StorageBackend s : List.of(StorageBackend.FILE_CHANNEL, StorageBackend.CHRONICLE_BYTES)) {
            for (Tier t : Tier.values()) {
                for (Shape sh : Shape.values()) {
                    for (CommitMode c : CommitMode.values()) {
                        all.add(new Spec(s, t, sh, c));
                    }
                }
            }
        }
        return all.stream();
    }

    @TempDir
    Path dir;

    @SuppressWarnings({"unchecked", "rawtypes"})
    private Channel<Object> open(Spec spec, long diskBytes, int files, OverflowPolicy policy) throws Exception {
        // LZ4_BLOCKS keeps one file's share of the budget free for a rewrite's copy: it gets that
        // share on top, so that every spec has the same files to fill before the disk is full.
        boolean blocks = spec.compression() == Compression.LZ4_BLOCKS;
        return (Channel<Object>) (Channel) Hopper.builder((Class) spec.shape.type, dir.resolve("ch"))
                .storage(spec.storage).inMemoryBytes(spec.tier.memoryBytes).weigher(x -> 256)
                .diskBytes(blocks ? diskBytes + diskBytes / files : diskBytes).maxDiskFiles(blocks ? files + 1 : files)
                .commitMode(spec.commit).overflow(policy)
                .readAhead(spec.readAhead()).compression(spec.compression()).open();
    }

    private Channel<Object> open(Spec spec, long diskBytes, int files) throws Exception {
        return open(spec, diskBytes, files, OverflowPolicy.BLOCK);
    }

    private Channel<Object> open(Spec spec) throws Exception {
        return open(spec, 1 << 20, 8);
    }

    private static Object make(Spec spec, int producer, long seq) {
        return spec.shape.make.apply(spec.shape == Shape.BYTES ? (long) producer << 32 | seq : producer * 1_000_000L + seq);
    }

    private static void assertIs(Spec spec, int producer, long seq, Object got) {
        Object want = make(spec, producer, seq);
        assertTrue(Shapes.same(want, got), spec + ": expected " + want + " but got " + got);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void everyRecordArrivesOnceInItsProducersOrder(Spec spec) throws Exception {
        int producers = 3;
        int perProducer = spec.tier == Tier.MEMORY ? 600 : 300;
        try (Channel<Object> ch = open(spec)) {
            List<CompletableFuture<Void>> sends = new ArrayList<>();
            for (int p = 0; p < producers; p++) {
                int id = p;
                sends.add(CompletableFuture.runAsync(() -> {
                    for (int i = 0; i < perProducer; i++) {
                        try {
                            ch.sender().send(make(spec, id, i));
                        } catch (InterruptedException e) {
                            throw new IllegalStateException(e);
                        }
                    }
                }));
            }
            Map<Long, Integer> next = new HashMap<>();
            for (int n = 0; n < producers * perProducer; n++) {
                Object v = ch.receiver().poll(30, TimeUnit.SECONDS);
                assertTrue(v != null, spec + ": record " + n + " never arrived");
                long key = spec.shape.key.applyAsLong(v);
                long producer = spec.shape == Shape.BYTES ? key >>> 32 : key / 1_000_000;
                long seq = spec.shape == Shape.BYTES ? (int) key : key % 1_000_000;
                int expected = next.getOrDefault(producer, 0);
                assertEquals(expected, seq, spec + ": producer " + producer + " out of order or duplicated");
                assertIs(spec, (int) producer, seq, v);
                next.put(producer, expected + 1);
            }
            for (CompletableFuture<Void> f : sends) {
                f.get(30, TimeUnit.SECONDS);
            }
            assertNull(ch.receiver().poll(), spec + ": nothing more");
            assertEquals(0, ch.stats().recordsLost(), spec + ": " + ch.stats());
            assertEquals(0, ch.stats().corruptFramesSkipped(), spec + ": " + ch.stats());
            if (spec.tier == Tier.DISK) {
                assertEquals(producers * perProducer, ch.stats().recordsSpilled(), spec + ": all went through disk");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void aGracefulRestartDeliversTheRestInOrderAndCommitModeDecidesWhatComesAgain(Spec spec) throws Exception {
        int total = 120;
        int received = 50;
        int committed = 20;
        try (Channel<Object> ch = open(spec)) {
            for (int i = 0; i < total; i++) {
                assertTrue(ch.sender().offer(make(spec, 0, i)), spec + ": offer " + i);
            }
            long position = -1;
            for (int i = 0; i < received; i++) {
                assertIs(spec, 0, i, ch.receiver().receive());
                if (i == committed - 1) {
                    position = ch.receiver().position();
                }
            }
            ch.receiver().commit(position);
        }
        // DISK: every record went through a queue file, so MANUAL redelivers exactly those after
        // the commit. Other tiers: records that stayed in memory are delivered once (documented).
        int first = spec.commit == CommitMode.MANUAL && spec.tier == Tier.DISK ? committed : received;
        try (Channel<Object> ch = open(spec)) {
            if (spec.commit == CommitMode.MANUAL && spec.tier != Tier.DISK) {
                Object v = ch.receiver().poll();
                long seq = spec.shape.key.applyAsLong(v) & (spec.shape == Shape.BYTES ? 0xffffffffL : Long.MAX_VALUE);
                assertTrue(seq >= committed && seq <= received, spec + ": resumed at " + seq);
                first = (int) seq + 1;
            }
            for (int i = first; i < total; i++) {
                Object v = ch.receiver().poll(10, TimeUnit.SECONDS);
                assertIs(spec, 0, i, v);
            }
            assertNull(ch.receiver().poll(), spec.toString());
            assertEquals(0, ch.stats().recordsLost(), spec + ": " + ch.stats());
        }
    }

    /** The sequence number of a record made by {@link #make} for producer 0. */
    private static long seqOf(Spec spec, Object v) {
        long key = spec.shape.key.applyAsLong(v);
        return spec.shape == Shape.BYTES ? (int) key : key % 1_000_000;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void blockFullTiersRefuseWithoutTakingTheRecordAndRoomReturns(Spec spec) throws Exception {
        try (Channel<Object> ch = open(spec, 2 * 4096, 2)) {
            assertEquals(OverflowPolicy.BLOCK, ch.overflowPolicy(), "the default");
            int accepted = 0;
            while (accepted < 100_000 && ch.sender().offer(make(spec, 0, accepted))) {
                accepted++;
            }
            assertTrue(accepted < 100_000, spec + ": the tiers filled up");
            Object refused = make(spec, 0, accepted);
            assertFalse(ch.sender().offer(refused), spec + ": still full");
            assertFalse(ch.sender().offer(refused, 1, TimeUnit.MILLISECONDS), spec + ": timed offer times out");
            for (int i = 0; i < accepted; i++) {
                assertIs(spec, 0, i, ch.receiver().poll());
                if (spec.commit == CommitMode.MANUAL) {
                    ch.receiver().commit(); // MANUAL: room on disk returns with the commit
                }
            }
            assertTrue(ch.sender().offer(refused), spec + ": room again");
            assertIs(spec, 0, accepted, ch.receiver().poll());
            assertEquals(0, ch.stats().recordsDropped() + ch.stats().recordsEvicted(), spec + ": BLOCK discards nothing");
        }
    }

    /**
     * DROP_OLDEST with no consumer: every send is accepted, and what survives is the memory tier
     * (the first records, which entered memory before anything spilled) followed by the newest
     * records on disk: the records evicted are exactly one contiguous run of the oldest disk
     * records, and their number is what the channel counts. A graceful restart in the middle of
     * the drain delivers exactly the rest of the survivors.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void dropOldestEvictsTheOldestDiskRecordsCountsThemAndDeliversTheSurvivorsInOrder(Spec spec) throws Exception {
        int total = spec.tier == Tier.MEMORY ? 6000 : 2000;
        long evicted;
        List<Long> got = new ArrayList<>();
        try (Channel<Object> ch = open(spec, 4 * 4096, 4, OverflowPolicy.DROP_OLDEST)) {
            for (int i = 0; i < total; i++) {
                assertTrue(ch.sender().offer(make(spec, 0, i)), spec + ": DROP_OLDEST accepts " + i);
            }
            ch.sender().send(make(spec, 0, total)); // never waits
            ChannelStats s = ch.stats();
            evicted = s.recordsEvicted();
            assertTrue(evicted > 0 && s.filesEvicted() > 0, spec + ": files were evicted: " + s);
            assertEquals(0, s.recordsDropped(), spec + ": nothing dropped: " + s);
            assertEquals(0, s.recordsLost(), spec + ": evictions are not losses: " + s);
            assertEquals(0, s.corruptFramesSkipped(), spec + ": nor damage: " + s);
            assertTrue(s.bytesOnDisk() <= s.diskBytesLimit(), spec + ": the disk budget holds: " + s);
            assertEquals(total + 1 - evicted, ch.asBlockingQueue().size(), spec + ": size counts the survivors");
            for (int i = 0; i < 25; i++) {
                got.add(seqOf(spec, ch.receiver().poll()));
            }
            if (spec.commit == CommitMode.MANUAL) {
                ch.receiver().commit();
            }
        }
        try (Channel<Object> ch = open(spec, 4 * 4096, 4, OverflowPolicy.DROP_OLDEST)) {
            for (Object v = ch.receiver().poll(); v != null; v = ch.receiver().poll()) {
                got.add(seqOf(spec, v));
            }
            assertEquals(0, ch.stats().recordsLost(), spec + ": the restart found no loss: " + ch.stats());
        }
        assertEquals(total + 1 - evicted, got.size(), spec + ": exactly the survivors, once each");
        // Survivors: [0, gapStart) and [gapStart + evicted, total]; the gap is the oldest disk records.
        int gapStart = 0;
        while (gapStart < got.size() && got.get(gapStart) == gapStart) {
            gapStart++;
        }
        long memoryRecords = spec.tier.memoryBytes / 256;
        assertTrue(gapStart <= memoryRecords, spec + ": the gap starts where disk began (" + gapStart + ")");
        for (int i = gapStart; i < got.size(); i++) {
            assertEquals(i + evicted, (long) got.get(i), spec + ": after the gap, every newer record in order");
        }
    }

    /**
     * DROP_OLDEST while the consumer is inside the oldest file: a record it peeked is still
     * delivered, then it continues at the next surviving record, in order.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void dropOldestEvictingTheFileBeingReadResumesAtTheNextSurvivor(Spec spec) throws Exception {
        int total = spec.tier == Tier.MEMORY ? 12_000 : 2000;
        try (Channel<Object> ch = open(spec, 4 * 4096, 4, OverflowPolicy.DROP_OLDEST)) {
            int sent = 0;
            while (ch.stats().diskFiles() < 4) {
                assertTrue(ch.sender().offer(make(spec, 0, sent++)));
            }
            long memoryRecords = ch.stats().recordsInMemory();
            long last = -1;
            for (long i = 0; i < memoryRecords + 3; i++) { // into the first queue file
                last = seqOf(spec, ch.receiver().poll());
                assertEquals(i, last, spec + ": in order before any eviction");
            }
            Object peeked = ch.receiver().peek();
            assertEquals(last + 1, seqOf(spec, peeked), spec + ": the next record, located in the oldest file");
            while (ch.stats().recordsEvicted() == 0) {
                assertTrue(ch.sender().offer(make(spec, 0, sent++)));
            }
            assertTrue(sent < total, spec + ": evicted within " + sent);
            assertEquals(last + 1, seqOf(spec, ch.receiver().poll()), spec + ": the peeked record is still delivered");
            long next = seqOf(spec, ch.receiver().poll());
            long evicted = ch.stats().recordsEvicted();
            assertEquals(last + 2 + evicted, next, spec + ": resumes right after the evicted records");
            long expect = next + 1;
            for (Object v = ch.receiver().poll(); v != null; v = ch.receiver().poll()) {
                assertEquals(expect++, seqOf(spec, v), spec + ": the rest in order");
            }
            assertEquals(sent, expect, spec + ": up to the last record sent");
            assertEquals(0, ch.stats().recordsLost() + ch.stats().recordsDropped(), spec + ": " + ch.stats());
        }
    }

    /**
     * DROP_NEWEST: once both tiers are full, new records are dropped and counted, {@code send}
     * returns without waiting, and the queued records are delivered untouched; when room returns,
     * records are accepted again.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void dropNewestDropsAndCountsTheNewRecordAndKeepsTheQueue(Spec spec) throws Exception {
        try (Channel<Object> ch = open(spec, 2 * 4096, 2, OverflowPolicy.DROP_NEWEST)) {
            int accepted = 0;
            while (accepted < 100_000 && ch.sender().offer(make(spec, 0, accepted))) {
                accepted++;
            }
            assertTrue(accepted < 100_000, spec + ": the tiers filled up");
            assertEquals(1, ch.stats().recordsDropped(), spec + ": the refused offer counts");
            for (int i = 1; i <= 5; i++) {
                assertFalse(ch.sender().offer(make(spec, 0, accepted + i), 1, TimeUnit.HOURS),
                        spec + ": a timed offer does not wait either");
                ch.sender().send(make(spec, 0, accepted + i)); // returns at once, dropped
            }
            ChannelStats s = ch.stats();
            assertEquals(11, s.recordsDropped(), spec + ": " + s);
            assertEquals(0, s.recordsEvicted() + s.recordsLost(), spec + ": " + s);
            assertEquals(accepted, ch.asBlockingQueue().size(), spec + ": the queue is untouched");
            for (int i = 0; i < accepted; i++) {
                assertIs(spec, 0, i, ch.receiver().poll());
                if (spec.commit == CommitMode.MANUAL) {
                    ch.receiver().commit();
                }
            }
            assertNull(ch.receiver().poll(), spec + ": no dropped record arrives");
            assertTrue(ch.sender().offer(make(spec, 0, 7)), spec + ": room again");
            assertIs(spec, 0, 7, ch.receiver().poll());
            assertEquals(11, ch.stats().recordsDropped(), spec.toString());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void blockingCallsWakeTimeOutAndAnswerInterruptsAndClose(Spec spec) throws Exception {
        try (Channel<Object> ch = open(spec)) {
            assertNull(ch.receiver().poll(1, TimeUnit.MILLISECONDS), spec + ": times out empty");
            CompletableFuture<Object> waiting = CompletableFuture.supplyAsync(() -> {
                try {
                    return ch.receiver().receive();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            ch.sender().send(make(spec, 0, 0));
            assertIs(spec, 0, 0, waiting.get(30, TimeUnit.SECONDS));
            Thread.currentThread().interrupt();
            assertThrows(InterruptedException.class, () -> ch.receiver().receive(), spec + ": interrupted");
            assertFalse(Thread.interrupted());
            ch.sender().send(make(spec, 0, 1));
            assertIs(spec, 0, 1, ch.receiver().peek());
            assertIs(spec, 0, 1, ch.receiver().receive());
            CompletableFuture<Object> beforeClose = CompletableFuture.supplyAsync(() -> {
                try {
                    return ch.receiver().receive();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            ch.close();
            Throwable t = assertThrows(Exception.class, () -> beforeClose.get(30, TimeUnit.SECONDS));
            assertTrue(t.getCause() instanceof ChannelClosedException, spec + ": " + t);
            assertThrows(ChannelClosedException.class, () -> ch.sender().offer(make(spec, 0, 2)));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void theQueueViewPeeksCountsAndDrainsLikeABlockingQueue(Spec spec) throws Exception {
        try (Channel<Object> ch = open(spec)) {
            var q = ch.asBlockingQueue();
            for (int i = 0; i < 30; i++) {
                q.put(make(spec, 0, i));
            }
            assertTrue(q.size() <= 30, spec + ": size " + q.size());
            Object head = q.peek();
            assertIs(spec, 0, 0, head);
            assertTrue(head == q.element(), spec + ": peek decodes once");
            assertTrue(head == q.take(), spec + ": and take returns that instance");
            ArrayDeque<Object> sink = new ArrayDeque<>();
            assertEquals(29, q.drainTo(sink));
            for (int i = 1; i < 30; i++) {
                assertIs(spec, 0, i, sink.poll());
            }
            assertTrue(q.isEmpty(), spec.toString());
            assertEquals(0, q.size());
            assertTrue(q.toString().contains("0 queued"), q.toString());
        }
    }
}
