package io.hopper;

import io.hopper.testkit.Records;
import io.hopper.testkit.TestDirs;

import net.jqwik.api.AfterFailureMode;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterTry;
import net.jqwik.api.state.Action;
import net.jqwik.api.state.ActionChain;
import net.jqwik.api.state.Transformer;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The drop policies against a model, with jqwik action chains: bursts from several producer
 * threads while a consumer thread takes records at the same time (so files are evicted while the
 * consumer reads them), single polls and peeks (a record located in the file being evicted),
 * drains, and graceful restarts, on channels small enough that both tiers fill within a few
 * actions.
 *
 * <p>The model keeps, per producer, every record the channel accepted and that has not been
 * received. A received record must be in its producer's queue; the records ahead of it were
 * evicted (DROP_OLDEST), which is counted. So after every action: the channel's size is the model's
 * minus the evictions not yet observed, the evictions observed never exceed those counted, and
 * the records dropped at the door are exactly the offers that said {@code false}. At the end every
 * record left is received or was counted as evicted, to the record.
 */
class OverflowPolicyProperties {

    static final class World {
        final Path dir = TestDirs.create();
        final OverflowPolicy policy;
        final Durability durability;
        Channel<Long> channel;
        final Map<Integer, ArrayDeque<Long>> pending = new HashMap<>();
        final Map<Integer, Long> nextSeq = new HashMap<>();
        /** Evictions and drops counted by channels closed before this one (stats restart at open). */
        long evictedBefore;
        long droppedBefore;
        /** Records the model saw skipped (evicted), and offers that said false. */
        long skipped;
        long refused;
        /** A record peeked and not yet received: it must be the next one received. */
        Long peeked;
        /** The largest disk budget any open had: files a larger budget wrote stay after a reopen with a smaller one. */
        long largestDiskBudget;

        /** Whether the channel decodes disk records ahead of the consumer. */
        final boolean readAhead;
        /** Whether sealed files are rewritten in blocks (when the budget has the two files that needs). */
        final boolean blocks;

        Compression compression(int files) {
            return blocks && files >= 2 ? Compression.LZ4_BLOCKS : Compression.LZ4;
        }

        World(OverflowPolicy policy, Durability durability, long memBytes, int files, int features) {
            this.readAhead = (features & 1) != 0;
            this.blocks = (features & 2) != 0;
            this.policy = policy;
            this.durability = durability;
            reopen(memBytes, files);
            OPEN.add(this);
        }

        void reopen(long memBytes, int files) {
            largestDiskBudget = Math.max(largestDiskBudget, files * 4096L);
            try {
                channel = Hopper.builder(Long.class, dir).inMemoryBytes(memBytes).weigher(x -> 8)
                        .diskBytes(files * 4096L).maxDiskFiles(files).durability(durability)
                        .overflow(policy).readAhead(readAhead).compression(compression(files)).open();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        void closeForReopen() {
            ChannelStats s = channel.stats();
            channel.close();
            evictedBefore += s.recordsEvicted();
            droppedBefore += s.recordsDropped();
            peeked = null; // a peeked record stays queued across the restart
        }

        long evicted() {
            return evictedBefore + channel.stats().recordsEvicted();
        }

        long dropped() {
            return droppedBefore + channel.stats().recordsDropped();
        }

        long modelSize() {
            return pending.values().stream().mapToLong(ArrayDeque::size).sum();
        }

        /** {@code v} must be queued for its producer; the records ahead of it were evicted. */
        void received(Long v) {
            assertNotNull(v, "a record");
            if (peeked != null) {
                assertEquals(peeked, v, "the peeked record comes next");
                peeked = null;
            }
            int p = (int) (v >>> 32);
            ArrayDeque<Long> q = pending.get(p);
            assertNotNull(q, "record from unknown producer " + p);
            assertTrue(q.contains(v), "record " + Long.toHexString(v) + " was accepted and not yet received");
            while (!q.peekFirst().equals(v)) {
                q.removeFirst();
                skipped++;
            }
            q.removeFirst();
            assertTrue(policy == OverflowPolicy.DROP_OLDEST || skipped == 0, policy + " evicts nothing");
        }

        @Override
        public String toString() {
            return policy + "/" + durability + (readAhead ? "/read-ahead" : "") + (blocks ? "/blocks" : "") + "[" + modelSize() + " in the model]";
        }
    }

    private static final List<World> OPEN = new ArrayList<>();

    @AfterTry
    void closeWorlds() {
        for (World w : OPEN) {
            w.channel.close();
            TestDirs.delete(w.dir);
        }
        OPEN.clear();
    }

    @Property(tries = 60, afterFailure = AfterFailureMode.SAMPLE_FIRST)
    void dropPoliciesDiscardOnlyWhatTheyCountAndKeepTheRestInOrder(@ForAll("chains") ActionChain<World> chain) {
        chain.withInvariant("counts agree with the model", w -> {
            long unobserved = w.evicted() - w.skipped;
            assertTrue(unobserved >= 0, "observed " + w.skipped + " evictions, counted " + w.evicted());
            assertEquals(w.modelSize() - unobserved, w.channel.asBlockingQueue().size(), w.channel.stats().toString());
            assertEquals(w.refused, w.dropped(), "every refused offer counted as dropped");
            assertEquals(0, w.channel.stats().recordsLost(), "no loss, no damage");
            assertTrue(w.channel.stats().bytesOnDisk() <= w.largestDiskBudget, "disk budget");
        }).run();
    }

    @Provide
    Arbitrary<ActionChain<World>> chains() {
        return Combinators.combine(
                        Arbitraries.of(OverflowPolicy.DROP_OLDEST, OverflowPolicy.DROP_NEWEST),
                        Arbitraries.of(Durability.MEMORY_FIRST, Durability.WRITE_THROUGH),
                        Arbitraries.longs().between(0, 200), Arbitraries.integers().between(1, 4),
                        Arbitraries.integers().between(0, 3)) // bit 0: read-ahead; bit 1: blocks
                .flatAs((policy, durability, mem, files, features) -> ActionChain.<World>startWith(
                                () -> new World(policy, durability, mem, files, features))
                        .withAction(4, new BurstWithConsumer())
                        .withAction(2, new Poll())
                        .withAction(1, new Peek())
                        .withAction(1, new Reopen())
                        .withAction(1, new DrainAll())
                        .withMaxTransformations(20));
    }

    /**
     * 1–3 producers offer 50–600 records each while a consumer thread polls up to 0–300 at the
     * same time; the model takes, in order, what each producer had accepted, then checks what the
     * consumer got.
     */
    static final class BurstWithConsumer implements Action.Independent<World> {
        @Override
        public Arbitrary<Transformer<World>> transformer() {
            return Combinators.combine(Arbitraries.integers().between(1, 3), Arbitraries.integers().between(50, 600),
                            Arbitraries.integers().between(0, 300))
                    .as((producers, each, takes) -> Transformer.mutate(producers + " producers offer " + each
                            + " while the consumer takes up to " + takes, w -> {
                        CountDownLatch start = new CountDownLatch(1);
                        List<Thread> threads = new ArrayList<>();
                        Map<Integer, List<Long>> accepted = new HashMap<>();
                        long[] refused = new long[producers];
                        for (int p = 0; p < producers; p++) {
                            int id = p;
                            long first = w.nextSeq.getOrDefault(id, 0L);
                            List<Long> mine = new ArrayList<>();
                            accepted.put(id, mine);
                            threads.add(new Thread(() -> {
                                await(start);
                                for (long s = first; s < first + each; s++) {
                                    long v = ((long) id << 32) | s;
                                    if (w.channel.sender().offer(v)) {
                                        mine.add(v);
                                    } else {
                                        refused[id]++;
                                    }
                                }
                            }));
                            w.nextSeq.put(id, first + each);
                        }
                        List<Long> got = new ArrayList<>();
                        Thread consumer = new Thread(() -> {
                            await(start);
                            for (int i = 0; i < takes; i++) {
                                Long v = w.channel.receiver().poll();
                                if (v != null) {
                                    got.add(v);
                                }
                            }
                        });
                        threads.add(consumer);
                        threads.forEach(Thread::start);
                        start.countDown();
                        for (Thread t : threads) {
                            try {
                                t.join(TimeUnit.MINUTES.toMillis(1));
                            } catch (InterruptedException e) {
                                throw new IllegalStateException(e);
                            }
                            assertTrue(!t.isAlive(), "a thread hung");
                        }
                        accepted.forEach((id, vs) -> w.pending.computeIfAbsent(id, k -> new ArrayDeque<>()).addAll(vs));
                        for (long r : refused) {
                            w.refused += r;
                        }
                        got.forEach(w::received);
                    }));
        }
    }

    /** Polls 1–100 times from the test's thread. */
    static final class Poll implements Action.Independent<World> {
        @Override
        public Arbitrary<Transformer<World>> transformer() {
            return Arbitraries.integers().between(1, 100).map(n -> Transformer.mutate("poll " + n, w -> {
                for (int i = 0; i < n; i++) {
                    Long v = w.channel.receiver().poll();
                    if (v == null) {
                        assertEquals(0, w.modelSize() - (w.evicted() - w.skipped), "null only when nothing is left");
                        return;
                    }
                    w.received(v);
                }
            }));
        }
    }

    /** Peeks: the record stays the head, even if its file is evicted before it is received. */
    static final class Peek implements Action.Independent<World> {
        @Override
        public Arbitrary<Transformer<World>> transformer() {
            return Arbitraries.just(Transformer.mutate("peek", w -> {
                Long v = w.channel.receiver().peek();
                if (v != null) {
                    w.peeked = v;
                }
            }));
        }
    }

    /** Graceful close and reopen with other budgets: exactly the survivors come back. */
    static final class Reopen implements Action.Independent<World> {
        @Override
        public Arbitrary<Transformer<World>> transformer() {
            return Combinators.combine(Arbitraries.longs().between(0, 200), Arbitraries.integers().between(1, 4))
                    .as((mem, files) -> Transformer.mutate("close, reopen with " + mem + " B memory, " + files
                            + " files", w -> {
                        w.closeForReopen();
                        w.reopen(mem, files);
                    }));
        }
    }

    /** Receives everything: what the model still holds then is exactly what was counted as evicted. */
    static final class DrainAll implements Action.Independent<World> {
        @Override
        public Arbitrary<Transformer<World>> transformer() {
            return Arbitraries.just(Transformer.mutate("drain all", w -> {
                List<Long> sink = new ArrayList<>();
                w.channel.receiver().drainTo(sink, Integer.MAX_VALUE);
                sink.forEach(w::received);
                long leftInModel = w.modelSize();
                assertEquals(w.evicted() - w.skipped, leftInModel,
                        "the records never received are exactly those counted as evicted");
                w.skipped += leftInModel;
                w.pending.values().forEach(ArrayDeque::clear);
            }));
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
