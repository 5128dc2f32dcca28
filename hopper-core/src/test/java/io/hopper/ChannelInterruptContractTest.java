package io.hopper;

import io.hopper.testkit.Shapes;

import io.hopper.ChannelContractTest.Shape;
import io.hopper.ChannelContractTest.Spec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The lifecycle axis of the contract suite: for every spec of {@link ChannelContractTest} (storage
 * back end x tier x record shape x commit mode, with read-ahead and blocks on half the specs each)
 * and every overflow policy, two producers and a consumer work through every call of the API while
 * interrupts rain on them: set by each thread on itself before a call, at random, and delivered by
 * a third thread at random moments, so that they land inside calls, inside forces ({@code ALWAYS}
 * on half the specs, {@code every(16)} on the others), rotations (4 KiB files), rewrites into
 * blocks, and in the close, which runs on an interrupted thread. Afterwards, and after a reopen,
 * every accepted record was received exactly once and in its producer's order (or counted as
 * evicted under {@code DROP_OLDEST}), no call threw anything but the JDK's interrupt exceptions,
 * and nothing was counted lost or damaged.
 *
 * <p>Each case draws its moves from a seed made of the spec, the policy and
 * {@code -Dhopper.interrupt.seed} (printed once); a failure names its case and seed. The counts of
 * interrupts injected, per call, are printed at the end.
 */
@org.junit.jupiter.api.Timeout(value = 5, unit = TimeUnit.MINUTES)
class ChannelInterruptContractTest {
    private static final long SEED = Long.getLong("hopper.interrupt.seed", System.nanoTime());
    private static final int PER_PRODUCER = 120;
    private static final int PRODUCERS = 2;

    /** Interrupts injected over the whole run: "set before <call>" and "arrived during <thread kind>". */
    private static final Map<String, LongAdder> INJECTED = new ConcurrentHashMap<>();

    @TempDir
    Path dir;

    static Stream<Arguments> cases() {
        System.out.println("ChannelInterruptContractTest seed: " + SEED + " (replay: -Dhopper.interrupt.seed=" + SEED + ")");
        List<Arguments> all = new ArrayList<>();
        ChannelContractTest.specs().forEach(spec -> {
            for (OverflowPolicy p : OverflowPolicy.values()) {
                all.add(Arguments.of(spec, p));
            }
        });
        return all.stream();
    }

    @AfterAll
    static void report() {
        Map<String, Long> counts = new TreeMap<>();
        INJECTED.forEach((k, v) -> counts.put(k, v.sum()));
        System.out.println("ChannelInterruptContractTest: interrupts injected " + counts);
    }

    private static void count(String what) {
        INJECTED.computeIfAbsent(what, k -> new LongAdder()).increment();
    }

    /** What one producer thread did: the sequence numbers accepted, in the order they were accepted. */
    private static final class Produced {
        final List<Long> accepted = new ArrayList<>();
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private Channel<Object> open(Spec spec, OverflowPolicy policy) throws Exception {
        boolean always = (spec.tier().ordinal() + spec.shape().ordinal()) % 2 == 0;
        boolean blocks = spec.compression() == Compression.LZ4_BLOCKS;
        return (Channel<Object>) (Channel) Hopper.builder((Class) spec.shape().type, dir.resolve("ch"))
                .storage(spec.storage()).inMemoryBytes(spec.tier().memoryBytes).weigher(x -> 256)
                .diskBytes(blocks ? 5 * 4096 : 4 * 4096).maxDiskFiles(blocks ? 5 : 4)
                .commitMode(spec.commit()).overflow(policy).syncPolicy(always ? SyncPolicy.ALWAYS : SyncPolicy.every(16))
                .readAhead(spec.readAhead()).compression(spec.compression()).open();
    }

    private static Object make(Spec spec, int producer, long seq) {
        return spec.shape().make.apply(spec.shape() == Shape.BYTES ? (long) producer << 32 | seq
                : producer * 1_000_000L + seq);
    }

    /** The producer and sequence number of a record made by {@link #make}, as {@code producer << 32 | seq}. */
    private static long keyOf(Spec spec, Object v) {
        long key = spec.shape().key.applyAsLong(v);
        if (spec.shape() == Shape.BYTES) {
            return key;
        }
        return (key / 1_000_000) << 32 | (key % 1_000_000);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void interruptsAnywhereCostNoRecordAndNeverSurfaceAsAStorageError(Spec spec, OverflowPolicy policy)
            throws Exception {
        long seed = SEED ^ (spec.toString() + policy).hashCode() * 0x9E3779B97F4A7C15L;
        String where = spec + " " + policy + " (seed " + SEED + ")";
        Channel<Object> ch = open(spec, policy);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicBoolean producing = new AtomicBoolean(true);
        AtomicBoolean raining = new AtomicBoolean(true);
        List<Object> receivedBefore = new ArrayList<>();
        List<Produced> produced = new ArrayList<>();
        List<Thread> targets = new ArrayList<>();
        for (int p = 0; p < PRODUCERS; p++) {
            Produced out = new Produced();
            produced.add(out);
            int id = p;
            Random r = new Random(seed + p);
            targets.add(new Thread(() -> {
                try {
                    produce(ch, spec, policy, id, r, out);
                } catch (Throwable t) {
                    failure.compareAndSet(null, new AssertionError("producer " + id + ", " + where, t));
                }
            }, "producer-" + p));
        }
        Random cr = new Random(seed + 100);
        Thread consumer = new Thread(() -> {
            try {
                consume(ch, spec, cr, producing, receivedBefore);
            } catch (Throwable t) {
                failure.compareAndSet(null, new AssertionError("consumer, " + where, t));
            }
        }, "consumer");
        targets.add(consumer);
        Thread closing = Thread.currentThread();
        Random ir = new Random(seed + 200);
        Thread interrupter = new Thread(() -> {
            while (raining.get()) {
                int k = ir.nextInt(targets.size() + 1);
                Thread t = k < targets.size() ? targets.get(k) : closing;
                if (t.isAlive() && (t != closing || !producing.get())) {
                    t.interrupt();
                    count("arrived during " + (t == closing ? "close" : t.getName().replaceAll("-\\d+", "")));
                }
                LockSupport.parkNanos(20_000 + ir.nextInt(200_000));
            }
        }, "interrupter");
        targets.forEach(Thread::start);
        interrupter.start();
        try {
            for (int p = 0; p < PRODUCERS; p++) {
                join(targets.get(p));
            }
            producing.set(false);
            join(consumer);
            // The close runs on an interrupted thread, with more interrupts arriving during it.
            if (spec.commit() == CommitMode.MANUAL) {
                Thread.currentThread().interrupt();
                ch.receiver().commit(); // so that nothing comes again after the reopen
            }
            Thread.currentThread().interrupt();
            count("set before close");
            ch.close();
        } finally {
            producing.set(false);
            raining.set(false); // whatever failed: no interrupt may reach the next test
            join(interrupter);
            Thread.interrupted();
        }
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        ChannelStats before = ch.stats();
        List<Object> receivedAfter = new ArrayList<>();
        long evicted = before.recordsEvicted();
        try (Channel<Object> again = open(spec, policy)) {
            Thread.currentThread().interrupt(); // a consumer that restarts interrupted loses nothing either
            for (Object v = again.receiver().poll(); v != null; v = again.receiver().poll()) {
                receivedAfter.add(v);
            }
            assertTrue(Thread.interrupted(), "poll leaves the status set");
            assertEquals(0, again.stats().recordsLost(), where + ": " + again.stats());
            assertEquals(0, again.stats().corruptFramesSkipped(), where + ": " + again.stats());
            evicted += again.stats().recordsEvicted();
        }
        assertEquals(0, before.recordsLost(), where + ": " + before);
        assertEquals(0, before.corruptFramesSkipped(), where + ": " + before);

        Set<Long> accepted = new HashSet<>();
        for (int p = 0; p < PRODUCERS; p++) {
            for (long s : produced.get(p).accepted) {
                assertTrue(accepted.add((long) p << 32 | s), where + ": accepted twice " + s);
            }
        }
        long[] last = new long[PRODUCERS];
        java.util.Arrays.fill(last, -1);
        Set<Long> seen = new HashSet<>();
        List<Object> all = new ArrayList<>(receivedBefore);
        all.addAll(receivedAfter);
        for (Object v : all) {
            long key = keyOf(spec, v);
            int p = (int) (key >>> 32);
            long s = key & 0xffffffffL;
            assertTrue(accepted.contains(key), where + ": received a record that was not accepted: " + p + "/" + s);
            assertTrue(seen.add(key), where + ": received twice: " + p + "/" + s);
            assertTrue(s > last[p], where + ": producer " + p + " out of order: " + s + " after " + last[p]);
            last[p] = s;
            assertTrue(Shapes.same(make(spec, p, s), v), where + ": the record is intact");
        }
        if (policy == OverflowPolicy.DROP_OLDEST) {
            assertEquals(accepted.size(), seen.size() + evicted, where + ": received or counted as evicted");
        } else {
            assertEquals(accepted.size(), seen.size(), where + ": every accepted record, once");
            assertEquals(0, evicted, where);
        }
    }

    /**
     * Sends {@link #PER_PRODUCER} records through every producer call, interrupting itself before
     * some. A call that took a record adds it to {@code out}; one that threw an interrupt exception
     * took nothing (a batch: what it says), and the record is sent again.
     */
    private static void produce(Channel<Object> ch, Spec spec, OverflowPolicy policy, int id, Random r, Produced out)
            throws Exception {
        Sender<Object> sender = ch.sender();
        long seq = 0;
        while (seq < PER_PRODUCER) {
            int call = r.nextInt(5);
            if (policy == OverflowPolicy.DROP_NEWEST && call >= 2) {
                call = call % 2; // send, offerAll and sendAll may drop without saying which: offer says
            }
            String name = switch (call) {
                case 0 -> "offer";
                case 1 -> "offer(timeout)";
                case 2 -> "send";
                case 3 -> "offerAll";
                default -> "sendAll";
            };
            if (r.nextInt(4) == 0) {
                Thread.currentThread().interrupt();
                count("set before " + name);
            }
            try {
                switch (call) {
                    case 0 -> {
                        if (sender.offer(make(spec, id, seq))) {
                            out.accepted.add(seq);
                        }
                        seq++; // refused: under BLOCK kept and never sent again; dropped otherwise
                    }
                    case 1 -> {
                        if (sender.offer(make(spec, id, seq), 1, TimeUnit.MILLISECONDS)) {
                            out.accepted.add(seq);
                        }
                        seq++;
                    }
                    case 2 -> {
                        sender.send(make(spec, id, seq));
                        out.accepted.add(seq++);
                    }
                    case 3 -> {
                        int n = (int) Math.min(3, PER_PRODUCER - seq);
                        List<Object> batch = new ArrayList<>();
                        for (int i = 0; i < n; i++) {
                            batch.add(make(spec, id, seq + i));
                        }
                        int took = sender.offerAll(batch); // BLOCK: a prefix; DROP_OLDEST: all
                        for (int i = 0; i < took; i++) {
                            out.accepted.add(seq + i);
                        }
                        seq += n;
                    }
                    default -> {
                        int n = (int) Math.min(3, PER_PRODUCER - seq);
                        List<Object> batch = new ArrayList<>();
                        for (int i = 0; i < n; i++) {
                            batch.add(make(spec, id, seq + i));
                        }
                        try {
                            sender.sendAll(batch);
                            for (int i = 0; i < n; i++) {
                                out.accepted.add(seq + i);
                            }
                            seq += n;
                        } catch (BatchInterruptedException e) {
                            for (int i = 0; i < e.accepted(); i++) {
                                out.accepted.add(seq + i);
                            }
                            seq += e.accepted(); // the rest is sent again
                        }
                    }
                }
            } catch (InterruptedException e) {
                // taken nothing: the same record goes again
            }
            if (Thread.interrupted()) {
                count("left set after " + name); // a call that never waits leaves it set
            }
        }
    }

    /** Receives through every consumer call, interrupting itself before some, until the producers are done. */
    private static void consume(Channel<Object> ch, Spec spec, Random r, AtomicBoolean producing, List<Object> into)
            throws Exception {
        Receiver<Object> receiver = ch.receiver();
        while (producing.get()) {
            int call = r.nextInt(6);
            String name = switch (call) {
                case 0 -> "poll";
                case 1 -> "poll(timeout)";
                case 2 -> "receive";
                case 3 -> "drainTo";
                case 4 -> "peek";
                default -> "commit";
            };
            if (r.nextInt(4) == 0) {
                Thread.currentThread().interrupt();
                count("set before " + name);
            }
            try {
                switch (call) {
                    case 0 -> addIfNotNull(into, receiver.poll());
                    case 1 -> addIfNotNull(into, receiver.poll(1, TimeUnit.MILLISECONDS));
                    case 2 -> {
                        if (receiver.peek() != null) { // receive would wait forever on a channel nobody fills
                            into.add(receiver.receive());
                        }
                    }
                    case 3 -> receiver.drainTo(into, 1 + r.nextInt(5));
                    case 4 -> {
                        Object head = receiver.peek();
                        if (head != null) {
                            Object taken = receiver.poll();
                            assertTrue(head == taken, "the peeked record is the one taken next");
                            into.add(taken);
                        }
                    }
                    default -> receiver.commit();
                }
            } catch (InterruptedException e) {
                // nothing taken
            }
            Thread.interrupted();
            if (r.nextInt(8) == 0) {
                Thread.yield(); // fall behind now and then: memory and disk fill, drops and evictions happen
            }
        }
    }

    private static void addIfNotNull(List<Object> into, Object v) {
        if (v != null) {
            into.add(v);
        }
    }

    /** Waits for {@code t} whatever interrupts this thread gets meanwhile (the interrupter aims at it too). */
    private static void join(Thread t) {
        for (;;) {
            try {
                t.join();
                return;
            } catch (InterruptedException e) {
                // an injected interrupt: keep waiting
            }
        }
    }
}
