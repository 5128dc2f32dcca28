package io.hopper.internal.ring;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The consumer's bounded spin: it sees a slot pushed while it spins, ends when its time is up, and announces nothing. */
class RingDequeSpinTest {

    @Test
    void aSpinOnAnEmptyRingEndsWithoutASlotAndWithoutAnnouncingItself() {
        RingDeque<Void> r = new RingDeque<>(4, 100, null);
        r.frontLock().lock();
        try {
            assertFalse(r.spinUntilNotEmpty(0), "no time: no spin");
            assertFalse(r.spinUntilNotEmpty(-5));
            assertFalse(r.spinUntilNotEmpty(TimeUnit.MICROSECONDS.toNanos(200)));
            assertFalse(r.consumerParked(), "a spinning consumer is not counted as parked: producers need not wake it");
        } finally {
            r.frontLock().unlock();
        }
    }

    @Test
    void aSpinOnARingHoldingASlotReturnsAtOnceEvenAZeroWeightOne() {
        RingDeque<Void> r = new RingDeque<>(4, 100, null);
        r.backLock().lock();
        try {
            r.tryPushBack("weightless", 0);
        } finally {
            r.backLock().unlock();
        }
        r.frontLock().lock();
        try {
            assertTrue(r.spinUntilNotEmpty(Long.MAX_VALUE), "a slot of weight 0 still makes the state non-zero");
        } finally {
            r.frontLock().unlock();
        }
    }

    /** Without a deadline the spin can only end by seeing the push; the timeout guards liveness, it measures nothing. */
    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void aSlotPushedDuringTheSpinEndsItAndNeedsNoWakeUp() throws Exception {
        for (int round = 0; round < 200; round++) {
            RingDeque<Void> r = new RingDeque<>(4, 100, null);
            CountDownLatch spinning = new CountDownLatch(1);
            AtomicBoolean saw = new AtomicBoolean();
            Thread consumer = new Thread(() -> {
                r.frontLock().lock();
                try {
                    spinning.countDown();
                    saw.set(r.spinUntilNotEmpty(Long.MAX_VALUE));
                } finally {
                    r.frontLock().unlock();
                }
            });
            consumer.start();
            spinning.await();
            int pushed;
            r.backLock().lock();
            try {
                pushed = r.tryPushBack("x", 1);
            } finally {
                r.backLock().unlock();
            }
            assertTrue(pushed == RingDeque.PUSHED_INTO_EMPTY);
            assertFalse(r.consumerParked(), "the producer owes no signal to a spinning consumer");
            consumer.join();
            assertTrue(saw.get(), "round " + round);
        }
    }
}
