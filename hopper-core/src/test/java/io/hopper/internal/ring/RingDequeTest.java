package io.hopper.internal.ring;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RingDequeTest {

    private static <S> int push(RingDeque<S> r, Object e, int w) {
        r.backLock().lock();
        try {
            return r.tryPushBack(e, w);
        } finally {
            r.backLock().unlock();
        }
    }

    private static Object pop(RingDeque<?> r) {
        r.frontLock().lock();
        try {
            return r.pollFront();
        } finally {
            r.frontLock().unlock();
        }
    }

    @Test
    void reportsTheEmptyToNonEmptyTransitionOnly() {
        RingDeque<Void> r = new RingDeque<>(4, 100, null);
        assertEquals(RingDeque.PUSHED_INTO_EMPTY, push(r, "a", 1));
        assertEquals(RingDeque.PUSHED, push(r, "b", 1));
        assertEquals("a", pop(r));
        assertEquals(RingDeque.PUSHED, push(r, "c", 1));
        assertEquals("b", pop(r));
        assertEquals("c", pop(r));
        assertNull(pop(r));
        assertEquals(RingDeque.PUSHED_INTO_EMPTY, push(r, "d", 1));
    }

    @Test
    void wrapsAroundKeepingFifoOrder() {
        RingDeque<Void> r = new RingDeque<>(3, 1000, null);
        int next = 0;
        int expect = 0;
        for (int round = 0; round < 100; round++) {
            while (push(r, next, 1) != RingDeque.FULL) {
                next++;
            }
            assertEquals(3, r.size());
            for (int i = 0; i < 1 + round % 3; i++) {
                assertEquals(expect++, pop(r));
            }
        }
    }

    @Test
    void byteBudgetBindsBeforeSlotsAndIsReleasedOnPop() {
        RingDeque<Void> r = new RingDeque<>(10, 100, null);
        assertEquals(RingDeque.PUSHED_INTO_EMPTY, push(r, "a", 60));
        assertEquals(RingDeque.FULL, push(r, "b", 41));
        assertEquals(RingDeque.PUSHED, push(r, "c", 40));
        assertEquals(100, r.bytes());
        assertEquals(RingDeque.PUSHED, push(r, "marker", 0));
        pop(r);
        assertEquals(40, r.bytes());
        assertEquals(RingDeque.PUSHED, push(r, "b", 41));
        assertEquals(81, r.bytes());
    }

    @Test
    void hasRoomCountsSlotsAndBytes() {
        RingDeque<Void> r = new RingDeque<>(2, 10, null);
        push(r, "a", 5);
        r.backLock().lock();
        try {
            assertEquals(false, r.hasRoom(2, 1));
            assertEquals(true, r.hasRoom(1, 5));
            assertEquals(false, r.hasRoom(1, 6));
        } finally {
            r.backLock().unlock();
        }
    }

    @Test
    void constructorChecksItsBounds() {
        assertThrows(IllegalArgumentException.class, () -> new RingDeque<>(0, 10, null));
        assertThrows(IllegalArgumentException.class, () -> new RingDeque<>(RingDeque.MAX_CAPACITY + 1, 10, null));
        assertThrows(IllegalArgumentException.class, () -> new RingDeque<>(1, -1, null));
        assertThrows(IllegalArgumentException.class, () -> new RingDeque<>(1, RingDeque.MAX_BYTES + 1, null));
        RingDeque<String> r = new RingDeque<>(1, RingDeque.MAX_BYTES, "state");
        assertEquals(1, r.capacity());
        assertEquals(RingDeque.MAX_BYTES, r.maxBytes());
        assertEquals("state", r.backState());
        assertEquals(0, new RingDeque<>(1, 0, null).maxBytes(), "a zero byte budget holds weightless slots only");
    }

    @Test
    void slotAndByteCountsDoNotBleedIntoEachOther() {
        // The two counts share one long: a full byte budget must not read as an extra slot.
        RingDeque<Void> r = new RingDeque<>(3, RingDeque.MAX_BYTES, null);
        int big = Integer.MAX_VALUE;
        long expected = 0;
        for (int i = 0; i < 3; i++) {
            assertFalse(push(r, i, big) == RingDeque.FULL);
            expected += big;
            assertEquals(i + 1, r.size());
            assertEquals(expected, r.bytes());
        }
        assertEquals(RingDeque.FULL, push(r, 3, 0), "slots are full");
        assertEquals(0, pop(r));
        assertEquals(2, r.size());
        assertEquals(2L * big, r.bytes());
    }

    @Test
    void theExactByteBudgetFits() {
        RingDeque<Void> r = new RingDeque<>(4, 10, null);
        assertEquals(RingDeque.PUSHED_INTO_EMPTY, push(r, "a", 10));
        assertEquals(RingDeque.FULL, push(r, "b", 1));
        r.backLock().lock();
        try {
            assertTrue(r.hasRoom(3, 0));
            assertFalse(r.hasRoom(4, 0));
        } finally {
            r.backLock().unlock();
        }
    }

    /** Runs {@code action} while another thread holds {@code lock}; it must not need the lock. */
    private static void whileLockedElsewhere(ReentrantLock lock, Runnable action) throws Exception {
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread holder = new Thread(() -> {
            lock.lock();
            try {
                held.countDown();
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                lock.unlock();
            }
        });
        holder.start();
        held.await();
        try {
            assertTimeoutPreemptively(Duration.ofSeconds(5), action::run);
        } finally {
            release.countDown();
            holder.join();
        }
    }

    @Test
    void signallingNobodyTakesNoLock() throws Exception {
        RingDeque<Void> r = new RingDeque<>(4, 100, null);
        whileLockedElsewhere(r.frontLock(), r::signalNotEmpty);
        whileLockedElsewhere(r.backLock(), r::signalNotFull);
        whileLockedElsewhere(r.backLock(), r::signalAllProducers);
        assertFalse(r.consumerParked());
    }

    @Test
    void parkingIsAnnouncedAndWithdrawn() {
        RingDeque<Void> r = new RingDeque<>(4, 100, null);
        r.frontLock().lock();
        try {
            r.announceParking();
            assertTrue(r.consumerParked());
            r.announceParking();
            r.withdrawParking();
            assertTrue(r.consumerParked(), "one consumer still announced");
            r.withdrawParking();
            assertFalse(r.consumerParked());
        } finally {
            r.frontLock().unlock();
        }
    }

    /** A consumer that announces itself and parks until signalled; counts its wake-ups. */
    private static Thread parkedConsumer(RingDeque<?> r, CountDownLatch parked, AtomicInteger woken) {
        Thread t = new Thread(() -> {
            r.frontLock().lock();
            try {
                r.announceParking();
                parked.countDown();
                long left = r.awaitNotEmpty(TimeUnit.SECONDS.toNanos(30));
                if (left > 0) {
                    woken.incrementAndGet();
                }
                r.withdrawParking();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                r.frontLock().unlock();
            }
        });
        t.start();
        return t;
    }

    private static void awaitParked(RingDeque<?> r, CountDownLatch parked, ReentrantLock lock) throws Exception {
        parked.await();
        // Announced under the lock; parked once the lock is free again (await released it).
        while (lock.isLocked()) {
            Thread.onSpinWait();
        }
    }

    @Test
    void aParkedConsumerIsWokenBySignalNotEmpty() throws Exception {
        RingDeque<Void> r = new RingDeque<>(4, 100, null);
        CountDownLatch parked = new CountDownLatch(1);
        AtomicInteger woken = new AtomicInteger();
        Thread c = parkedConsumer(r, parked, woken);
        awaitParked(r, parked, r.frontLock());
        assertTrue(r.consumerParked());
        r.signalNotEmpty();
        c.join(10_000);
        assertFalse(c.isAlive(), "consumer still parked");
        assertEquals(1, woken.get());
        assertFalse(r.consumerParked());
    }

    @Test
    void aParkedConsumerIsWokenBySignalNotEmptyLocked() throws Exception {
        RingDeque<Void> r = new RingDeque<>(4, 100, null);
        CountDownLatch parked = new CountDownLatch(1);
        AtomicInteger woken = new AtomicInteger();
        Thread c = parkedConsumer(r, parked, woken);
        awaitParked(r, parked, r.frontLock());
        r.frontLock().lock();
        try {
            r.signalNotEmptyLocked();
        } finally {
            r.frontLock().unlock();
        }
        c.join(10_000);
        assertEquals(1, woken.get());
    }

    @Test
    void everyParkedConsumerIsWokenOnClose() throws Exception {
        RingDeque<Void> r = new RingDeque<>(4, 100, null);
        CountDownLatch parked = new CountDownLatch(2);
        AtomicInteger woken = new AtomicInteger();
        Thread a = parkedConsumer(r, parked, woken);
        Thread b = parkedConsumer(r, parked, woken);
        awaitParked(r, parked, r.frontLock());
        r.signalAllConsumers();
        a.join(10_000);
        b.join(10_000);
        assertEquals(2, woken.get());
    }

    /** A producer that announces itself and waits for room until signalled; counts its wake-ups. */
    private static Thread waitingProducer(RingDeque<?> r, CountDownLatch waiting, AtomicInteger woken) {
        Thread t = new Thread(() -> {
            r.backLock().lock();
            try {
                r.announceProducerWaiting();
                waiting.countDown();
                if (r.awaitNotFull(TimeUnit.SECONDS.toNanos(30)) > 0) {
                    woken.incrementAndGet();
                }
                r.withdrawProducerWaiting();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                r.backLock().unlock();
            }
        });
        t.start();
        return t;
    }

    @Test
    void everyWaitingProducerIsWokenWhenRoomAppears() throws Exception {
        for (int variant = 0; variant < 3; variant++) {
            RingDeque<Void> r = new RingDeque<>(4, 100, null);
            CountDownLatch waiting = new CountDownLatch(2);
            AtomicInteger woken = new AtomicInteger();
            Thread a = waitingProducer(r, waiting, woken);
            Thread b = waitingProducer(r, waiting, woken);
            awaitParked(r, waiting, r.backLock());
            switch (variant) {
                case 0 -> r.signalNotFull();
                case 1 -> r.signalAllProducers();
                default -> {
                    r.backLock().lock();
                    try {
                        r.signalNotFullLocked();
                    } finally {
                        r.backLock().unlock();
                    }
                }
            }
            a.join(10_000);
            b.join(10_000);
            assertEquals(2, woken.get(), "variant " + variant + ": all waiting producers, records differ in weight");
        }
    }

    @Test
    void locksAreDistinctAndPopNullsTheSlot() {
        RingDeque<Void> r = new RingDeque<>(2, 100, null);
        assertFalse(r.frontLock() == r.backLock());
        Object big = new byte[10];
        push(r, big, 10);
        assertSame(big, pop(r));
        assertEquals(0, r.bytes());
        assertEquals(0, r.size());
        assertNull(pop(r));
    }
}
