package io.hopper;

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
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Stateful, model-based testing of the public API with jqwik action chains: concurrent sends
 * and batch offers from several producer threads, polls, timed polls, {@code drainTo}, commits, flushes and
 * graceful close/reopen (with new budgets), in random order. The model keeps, per producer, the
 * records accepted and not yet received; every receive must return the head of one producer's
 * queue, and after every action the channel's own count must equal the model's.
 */
class ChannelActionChainProperties {

    /** The system under test and its model. */
    static final class World {
        final Path dir = TestDirs.create();
        Channel<Long> channel;
        /** Per producer: accepted, not yet received, in send order. */
        final Map<Integer, ArrayDeque<Long>> pending = new HashMap<>();
        final Map<Integer, Long> nextSeq = new HashMap<>();

        /** Whether the channel decodes disk records ahead of the consumer. */
        final boolean readAhead;
        /** Whether sealed files are rewritten in blocks (when the budget has the two files that needs). */
        final boolean blocks;

        Compression compression(int files) {
            return blocks && files >= 2 ? Compression.LZ4_BLOCKS : Compression.LZ4;
        }

        World(long memBytes, int files, int features) {
            this.readAhead = (features & 1) != 0;
            this.blocks = (features & 2) != 0;
            reopen(memBytes, files);
            OPEN.add(this);
        }

        void reopen(long memBytes, int files) {
            try {
                channel = Hopper.builder(Long.class, dir).inMemoryBytes(memBytes).weigher(x -> 8)
                        .diskBytes(files * 4096L).maxDiskFiles(files).readAhead(readAhead)
                        .compression(compression(files)).open();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        long modelSize() {
            return pending.values().stream().mapToLong(ArrayDeque::size).sum();
        }

        /** Checks that {@code v} is the head of its producer's queue, and removes it. */
        void received(Long v) {
            assertNotNull(v, "model has " + modelSize() + " records, channel returned none");
            int p = (int) (v >>> 32);
            ArrayDeque<Long> q = pending.get(p);
            assertNotNull(q, "record from unknown producer " + p);
            assertEquals(q.peekFirst(), v, "producer " + p + " order");
            q.removeFirst();
        }

        @Override
        public String toString() {
            return "World[" + modelSize() + " pending" + (readAhead ? ", read-ahead" : "") + (blocks ? ", blocks" : "") + "]";
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

    @Property(afterFailure = AfterFailureMode.SAMPLE_FIRST)
    void theChannelBehavesLikeItsModel(@ForAll("chains") ActionChain<World> chain) {
        chain.withInvariant("channel count equals model", w -> {
            ChannelStats s = w.channel.stats();
            assertEquals(w.modelSize(), s.recordsInMemory() + s.recordsOnDisk(), s.toString());
        }).run();
    }

    @Provide
    Arbitrary<ActionChain<World>> chains() {
        return Combinators.combine(Arbitraries.longs().between(0, 400), Arbitraries.integers().between(1, 6),
                        Arbitraries.integers().between(0, 3)) // bit 0: read-ahead; bit 1: blocks
                .flatAs((mem, files, features) -> ActionChain.<World>startWith(() -> new World(mem, files, features))
                        .withAction(4, new SendConcurrently())
                        .withAction(2, new OfferAllConcurrently())
                        .withAction(3, new Poll())
                        .withAction(1, new TimedPollWhenEmpty())
                        .withAction(2, new DrainTo())
                        .withAction(1, new Commit())
                        .withAction(1, new Flush())
                        .withAction(1, new Reopen())
                        .withMaxTransformations(30));
    }

    /** What one producer thread does: sends from sequence {@code first} on and lists what the channel accepted. */
    interface Producer {
        void run(int id, long first, List<Long> accepted);
    }

    /**
     * Runs {@code producers} threads at once (released together by one latch), then hands the
     * model what each one had accepted, in its order.
     */
    static void concurrently(World w, int producers, Producer body) {
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        Map<Integer, List<Long>> accepted = new HashMap<>();
        for (int p = 0; p < producers; p++) {
            int id = p;
            long first = w.nextSeq.getOrDefault(id, 0L);
            List<Long> mine = new ArrayList<>();
            accepted.put(id, mine);
            threads.add(new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                body.run(id, first, mine);
            }));
        }
        threads.forEach(Thread::start);
        start.countDown();
        for (Thread t : threads) {
            try {
                t.join(TimeUnit.MINUTES.toMillis(1));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }
        accepted.forEach((id, vs) -> {
            w.pending.computeIfAbsent(id, k -> new ArrayDeque<>()).addAll(vs);
            w.nextSeq.merge(id, (long) vs.size(), Long::sum);
        });
    }

    /** 1–4 producer threads offer 1–60 records each at the same time; the model takes what was accepted. */
    static final class SendConcurrently implements Action.Independent<World> {
        @Override
        public Arbitrary<Transformer<World>> transformer() {
            return Combinators.combine(Arbitraries.integers().between(1, 4), Arbitraries.integers().between(1, 60))
                    .as((producers, each) -> Transformer.mutate(producers + " producers send " + each,
                            w -> concurrently(w, producers, (id, first, mine) -> {
                                for (long s = first; s < first + each; s++) {
                                    long v = ((long) id << 32) | s;
                                    if (!w.channel.sender().offer(v)) {
                                        return; // both tiers full: this producer keeps the rest
                                    }
                                    mine.add(v);
                                }
                            })));
        }
    }

    /**
     * 1–3 producer threads each offer batches ({@code offerAll}, 1–80 records) at the same time;
     * each batch is taken as a prefix (BLOCK), and a producer whose batch was cut stops there.
     */
    static final class OfferAllConcurrently implements Action.Independent<World> {
        @Override
        public Arbitrary<Transformer<World>> transformer() {
            return Combinators.combine(Arbitraries.integers().between(1, 3), Arbitraries.integers().between(1, 80),
                            Arbitraries.integers().between(1, 4))
                    .as((producers, size, batches) -> Transformer.mutate(producers + " producers offerAll "
                            + batches + " x " + size, w -> concurrently(w, producers, (id, first, mine) -> {
                                long s = first;
                                for (int b = 0; b < batches; b++) {
                                    List<Long> batch = new ArrayList<>();
                                    for (int i = 0; i < size; i++) {
                                        batch.add(((long) id << 32) | s++);
                                    }
                                    int taken = w.channel.sender().offerAll(batch);
                                    mine.addAll(batch.subList(0, taken));
                                    if (taken < size) {
                                        return; // both tiers full: the rest stays with this producer
                                    }
                                }
                            })));
        }
    }

    /** Polls 1–50 times; returns null exactly when the model is empty. */
    static final class Poll implements Action.Independent<World> {
        @Override
        public Arbitrary<Transformer<World>> transformer() {
            return Arbitraries.integers().between(1, 50).map(n -> Transformer.mutate("poll " + n, w -> {
                for (int i = 0; i < n; i++) {
                    if (w.modelSize() == 0) {
                        assertNull(w.channel.receiver().poll());
                        return;
                    }
                    w.received(w.channel.receiver().poll());
                }
            }));
        }
    }

    /** With nothing pending, a timed poll waits and returns null. */
    static final class TimedPollWhenEmpty implements Action.Dependent<World> {
        @Override
        public boolean precondition(World w) {
            return w.modelSize() == 0;
        }

        @Override
        public Arbitrary<Transformer<World>> transformer(World state) {
            return Arbitraries.just(Transformer.mutate("poll(2 ms) on empty", w -> {
                try {
                    assertNull(w.channel.receiver().poll(2, TimeUnit.MILLISECONDS));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
    }

    /** drainTo(max): moves min(max, pending) records, each the head of its producer's queue. */
    static final class DrainTo implements Action.Independent<World> {
        @Override
        public Arbitrary<Transformer<World>> transformer() {
            return Arbitraries.integers().between(0, 80).map(max -> Transformer.mutate("drainTo " + max, w -> {
                List<Long> sink = new ArrayList<>();
                int moved = w.channel.receiver().drainTo(sink, max);
                assertEquals(Math.min(max, w.modelSize()), moved, "drainTo moves what is available");
                sink.forEach(w::received);
            }));
        }
    }

    static final class Commit implements Action.Independent<World> {
        @Override
        public Arbitrary<Transformer<World>> transformer() {
            return Arbitraries.just(Transformer.mutate("commit", w -> w.channel.receiver().commit()));
        }
    }

    static final class Flush implements Action.Independent<World> {
        @Override
        public Arbitrary<Transformer<World>> transformer() {
            return Arbitraries.just(Transformer.mutate("flush", w -> w.channel.sender().flush()));
        }
    }

    /** Graceful close and reopen, possibly with other budgets: the model does not change. */
    static final class Reopen implements Action.Independent<World> {
        @Override
        public Arbitrary<Transformer<World>> transformer() {
            return Combinators.combine(Arbitraries.longs().between(0, 400), Arbitraries.integers().between(1, 6))
                    .as((mem, files) -> Transformer.mutate("close, reopen with " + mem + " B memory, " + files
                            + " files", w -> {
                        w.channel.close();
                        w.reopen(mem, files);
                    }));
        }
    }
}
