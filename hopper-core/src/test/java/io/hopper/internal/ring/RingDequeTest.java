package io.hopper.internal.ring;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

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
}
