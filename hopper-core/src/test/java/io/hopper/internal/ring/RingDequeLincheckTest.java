package io.hopper.internal.ring;

import org.jetbrains.kotlinx.lincheck.LinCheckerKt;
import org.jetbrains.lincheck.Lincheck;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Linearizability of the ring's two ends under their two locks, checked by Lincheck against the
 * same class run sequentially: pushes by several producers, pops by one consumer (a
 * non-parallel group), and the lock-free {@code size} and {@code bytes} reads between them.
 * Three slots and a 40-byte budget make wrap-around and both full boundaries (slots and bytes)
 * frequent. Batch pushes and batch drains (one atomic update for several slots, as
 * {@code offerAll} and {@code drainTo} use them) run among the single-slot operations. The push result distinguishes a push into an empty ring, which is the producer's
 * cue to wake the consumer: it must be linearizable too. The wake-up protocols themselves are
 * model-checked for lost wake-ups (a consumer or producer left parked forever is reported as a
 * deadlock).
 *
 * <p>This check found that {@code size()} was not linearizable when the slot count and the byte
 * count were two atomics (a producer could use bytes a pop had released before the pop released
 * its slot); they are now one packed {@code long}.
 *
 * <p>Sizes: {@code -Dhopper.lincheck.iterations} (default 10, a few seconds per check; the
 * {@code stress} profile runs 200).
 */
@Param(name = "weight", gen = IntGen.class, conf = "1:3")
@org.junit.jupiter.api.Timeout(value = 2, unit = java.util.concurrent.TimeUnit.HOURS) // -Pstress runs long
public class RingDequeLincheckTest {
    private static final int ITERATIONS = Integer.getInteger("hopper.lincheck.iterations", 10);

    private final RingDeque<Object> ring = new RingDeque<>(3, 40, new Object());
    private int nextValue;

    /** Pushes a record weighing 8, 16 or 24 bytes; returns the ring's verdict. */
    @Operation(params = "weight")
    public int push(int weight) {
        ring.backLock().lock();
        try {
            return ring.tryPushBack(weight, weight * 8);
        } finally {
            ring.backLock().unlock();
        }
    }

    /** Pops the front record's weight, or 0 when the ring is empty. */
    @Operation(nonParallelGroup = "consumer")
    public int pop() {
        ring.frontLock().lock();
        try {
            Object e = ring.pollFront();
            return e == null ? 0 : (Integer) e;
        } finally {
            ring.frontLock().unlock();
        }
    }

    /**
     * Pushes two records (8 and {@code weight * 8} bytes) with one atomic add, as {@code offerAll}
     * does; returns how many went in, times two, plus one if the ring was empty before.
     */
    @Operation(params = "weight")
    public int pushTwo(int weight) {
        ring.backLock().lock();
        try {
            return ring.tryPushBackAll(java.util.List.of(1, weight), 0, 2, new int[] {8, weight * 8});
        } finally {
            ring.backLock().unlock();
        }
    }

    /** Takes up to two leading records as {@code drainTo} does; returns their weights' sum times 100 plus how many. */
    @Operation(nonParallelGroup = "consumer")
    public int drainTwo() {
        ring.frontLock().lock();
        try {
            int[] sum = new int[1];
            int n = ring.drainFront(2, Void.class, e -> sum[0] += (Integer) e);
            return sum[0] * 100 + n;
        } finally {
            ring.frontLock().unlock();
        }
    }

    @Operation
    public int size() {
        return ring.size();
    }

    @Operation
    public long bytes() {
        return ring.bytes();
    }

    @Test
    void stressLinearizable() {
        LinCheckerKt.check(new StressOptions().iterations(ITERATIONS).invocationsPerIteration(2_000)
                .threads(3).actorsPerThread(3).actorsBefore(2).actorsAfter(2), RingDequeLincheckTest.class);
    }

    @Test
    void modelCheckedLinearizable() {
        LinCheckerKt.check(new ModelCheckingOptions().iterations(ITERATIONS).invocationsPerIteration(500)
                .threads(3).actorsPerThread(3).actorsBefore(2).actorsAfter(2), RingDequeLincheckTest.class);
    }

    /** The consumer's side of the protocol: announce, re-check, then park. */
    private static Object take(RingDeque<Object> ring) throws InterruptedException {
        ring.frontLock().lock();
        try {
            for (;;) {
                Object e = ring.pollFront();
                if (e != null) {
                    return e;
                }
                ring.announceParking();
                try {
                    e = ring.pollFront();
                    if (e != null) {
                        return e;
                    }
                    ring.awaitNotEmpty(Long.MAX_VALUE);
                } finally {
                    ring.withdrawParking();
                }
            }
        } finally {
            ring.frontLock().unlock();
        }
    }

    /** The producers' side: signal after the push into an empty ring, outside the back lock. */
    private static void push(RingDeque<Object> ring, Object value, int weight) {
        int r;
        ring.backLock().lock();
        try {
            r = ring.tryPushBack(value, weight);
        } finally {
            ring.backLock().unlock();
        }
        if (r == RingDeque.FULL) {
            throw new AssertionError("ring unexpectedly full");
        }
        if (r == RingDeque.PUSHED_INTO_EMPTY) {
            ring.signalNotEmpty();
        }
    }

    /** A producer waiting for room: announce, re-check, then wait; the consumer signals after freeing room. */
    private static void put(RingDeque<Object> ring, Object value, int weight) throws InterruptedException {
        int r;
        ring.backLock().lock();
        try {
            for (;;) {
                r = ring.tryPushBack(value, weight);
                if (r != RingDeque.FULL) {
                    break;
                }
                ring.announceProducerWaiting();
                try {
                    r = ring.tryPushBack(value, weight);
                    if (r != RingDeque.FULL) {
                        break;
                    }
                    ring.awaitNotFull(Long.MAX_VALUE);
                } finally {
                    ring.withdrawProducerWaiting();
                }
            }
        } finally {
            ring.backLock().unlock();
        }
        if (r == RingDeque.PUSHED_INTO_EMPTY) {
            ring.signalNotEmpty();
        }
    }

    private static Object pollAndSignal(RingDeque<Object> ring) {
        Object e;
        ring.frontLock().lock();
        try {
            e = ring.pollFront();
        } finally {
            ring.frontLock().unlock();
        }
        if (e != null) {
            ring.signalNotFull();
        }
        return e;
    }

    @Test
    void aParkingConsumerIsAlwaysWokenByTwoProducers() {
        Lincheck.runConcurrentTest(ITERATIONS * 30, () -> {
            RingDeque<Object> ring = new RingDeque<>(2, 16, new Object());
            AtomicReference<Object> first = new AtomicReference<>();
            AtomicReference<Object> second = new AtomicReference<>();
            Thread consumer = new Thread(() -> {
                try {
                    first.set(take(ring));
                    second.set(take(ring));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread p1 = new Thread(() -> push(ring, "a", 8));
            Thread p2 = new Thread(() -> push(ring, "b", 8));
            consumer.start();
            p1.start();
            p2.start();
            join(consumer, p1, p2);
            assertEquals(2, java.util.Set.of(first.get(), second.get()).size());
        });
    }

    @Test
    void aProducerWaitingAtTheFullBoundaryIsAlwaysWoken() {
        Lincheck.runConcurrentTest(ITERATIONS * 30, () -> {
            RingDeque<Object> ring = new RingDeque<>(1, 16, new Object());
            push(ring, "full", 8);
            AtomicReference<Object> popped = new AtomicReference<>();
            Thread producer = new Thread(() -> {
                try {
                    put(ring, "next", 8);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread consumer = new Thread(() -> {
                Object e;
                while ((e = pollAndSignal(ring)) == null) {
                    Thread.onSpinWait();
                }
                popped.set(e);
            });
            producer.start();
            consumer.start();
            join(producer, consumer);
            assertEquals("full", popped.get());
            assertEquals(1, ring.size());
        });
    }

    private static void join(Thread... threads) {
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
