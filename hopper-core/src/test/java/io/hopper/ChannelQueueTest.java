package io.hopper;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link Channel#asBlockingQueue()} honours the parts of the {@link BlockingQueue} contract it claims. */
class ChannelQueueTest {

    @TempDir
    Path dir;

    /** Memory holds 16 records of 8 bytes; disk one small file. */
    private Channel<Long> open() throws Exception {
        return Hopper.builder(Long.class, dir.resolve("ch"))
                .inMemoryBytes(16 * 8).weigher(x -> 8)
                .diskBytes(4096).maxDiskFiles(1)
                .open();
    }

    private static long fill(BlockingQueue<Long> q) {
        long n = 0;
        while (q.offer(n)) {
            n++;
        }
        return n;
    }

    private static void awaitBlocked(Thread t) {
        while (t.getState() != Thread.State.WAITING && t.getState() != Thread.State.TIMED_WAITING) {
            assertTrue(t.isAlive(), "thread ended instead of blocking");
            Thread.onSpinWait();
        }
    }

    @Test
    void offerAndPollKeepOrderThroughBothTiersAndSizeCountsBoth() throws Exception {
        try (Channel<Long> ch = open()) {
            BlockingQueue<Long> q = ch.asBlockingQueue();
            assertTrue(q.isEmpty());
            assertEquals(0, q.size());
            int before = q.remainingCapacity();
            assertTrue(before >= 16, "at least the memory tier's 16 records: " + before);
            long n = fill(q);
            assertTrue(n > 16 && ch.stats().recordsOnDisk() > 0, "filled memory, then disk: " + ch.stats());
            assertEquals(n, q.size());
            assertFalse(q.isEmpty());
            assertEquals(0, q.remainingCapacity(), "both tiers full");
            assertThrows(IllegalStateException.class, () -> q.add(n), "add on a full queue");
            for (long i = 0; i < n; i++) {
                assertEquals(i, q.poll());
                assertEquals(n - i - 1, q.size());
            }
            assertNull(q.poll());
            assertTrue(q.isEmpty());
            assertTrue(q.remainingCapacity() > 0);
            assertTrue(q.add(7L));
            assertEquals(7L, q.remove());
            assertThrows(java.util.NoSuchElementException.class, q::remove);
        }
    }

    @Test
    void timedOfferGivesUpWhenFullAndSucceedsWhenRoomAppears() throws Exception {
        try (Channel<Long> ch = open()) {
            BlockingQueue<Long> q = ch.asBlockingQueue();
            long n = fill(q);
            assertFalse(q.offer(n, 20, TimeUnit.MILLISECONDS), "no room within the timeout");
            CompletableFuture<Boolean> offered = CompletableFuture.supplyAsync(() -> {
                try {
                    return q.offer(n, 1, TimeUnit.MINUTES);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            for (long i = 0; i < n; i++) {
                assertEquals(i, q.take());
            }
            assertTrue(offered.get(1, TimeUnit.MINUTES));
            assertEquals(n, q.take(), "the waiting offer went in after the rest");
        }
    }

    @Test
    void putWaitsForRoomAndTakeWaitsForARecord() throws Exception {
        try (Channel<Long> ch = open()) {
            BlockingQueue<Long> q = ch.asBlockingQueue();
            AtomicReference<Long> taken = new AtomicReference<>();
            Thread consumer = new Thread(() -> {
                try {
                    taken.set(q.take());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            consumer.start();
            awaitBlocked(consumer);
            q.put(42L);
            consumer.join(60_000);
            assertEquals(42L, taken.get());

            long n = fill(q);
            Thread producer = new Thread(() -> {
                try {
                    q.put(n);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            producer.start();
            awaitBlocked(producer);
            assertEquals(0L, q.take());
            producer.join(60_000);
            assertFalse(producer.isAlive(), "put returned once a record was taken");
            List<Long> rest = new ArrayList<>();
            q.drainTo(rest);
            assertEquals(n, rest.size());
            assertEquals(n, rest.get(rest.size() - 1), "the put record is last");
        }
    }

    @Test
    void interruptedPutAndTakeThrowAndTakeNothing() throws Exception {
        try (Channel<Long> ch = open()) {
            BlockingQueue<Long> q = ch.asBlockingQueue();
            AtomicReference<Throwable> takeFailure = new AtomicReference<>();
            Thread consumer = new Thread(() -> {
                try {
                    takeFailure.set(new AssertionError("took " + q.take()));
                } catch (Throwable t) {
                    takeFailure.set(t);
                }
            });
            consumer.start();
            awaitBlocked(consumer);
            consumer.interrupt();
            consumer.join(60_000);
            assertInstanceOf(InterruptedException.class, takeFailure.get());

            long n = fill(q);
            AtomicReference<Throwable> putFailure = new AtomicReference<>();
            Thread producer = new Thread(() -> {
                try {
                    q.put(-1L);
                    putFailure.set(new AssertionError("put returned"));
                } catch (Throwable t) {
                    putFailure.set(t);
                }
            });
            producer.start();
            awaitBlocked(producer);
            producer.interrupt();
            producer.join(60_000);
            assertInstanceOf(InterruptedException.class, putFailure.get());
            Thread.currentThread().interrupt();
            assertThrows(InterruptedException.class, () -> q.poll(1, TimeUnit.SECONDS));
            assertFalse(Thread.interrupted(), "the interrupt was consumed by the exception");
            assertEquals(n, q.size(), "the interrupted put left nothing behind");
            List<Long> all = new ArrayList<>();
            assertEquals(n, q.drainTo(all));
            assertFalse(all.contains(-1L));
        }
    }

    @Test
    void timedPollReturnsNullWhenNothingArrives() throws Exception {
        try (Channel<Long> ch = open()) {
            BlockingQueue<Long> q = ch.asBlockingQueue();
            assertNull(q.poll(10, TimeUnit.MILLISECONDS));
            q.offer(5L);
            assertEquals(5L, q.poll(10, TimeUnit.MILLISECONDS));
        }
    }

    @Test
    void drainToMovesAtMostMaxInOrderAndRefusesItself() throws Exception {
        try (Channel<Long> ch = open()) {
            BlockingQueue<Long> q = ch.asBlockingQueue();
            long n = fill(q);
            List<Long> first = new ArrayList<>();
            assertEquals(0, q.drainTo(first, 0));
            assertEquals(5, q.drainTo(first, 5));
            assertEquals(List.of(0L, 1L, 2L, 3L, 4L), first);
            List<Long> rest = new ArrayList<>();
            assertEquals(n - 5, q.drainTo(rest));
            assertEquals(5L, rest.get(0));
            assertEquals(n - 1, rest.get(rest.size() - 1));
            assertThrows(IllegalArgumentException.class, () -> q.drainTo(q));
            assertThrows(NullPointerException.class, () -> q.drainTo(null));
            assertThrows(NullPointerException.class, () -> q.offer(null));
        }
    }

    @Test
    void clearEmptiesBothTiers() throws Exception {
        try (Channel<Long> ch = open()) {
            BlockingQueue<Long> q = ch.asBlockingQueue();
            fill(q);
            q.clear();
            assertTrue(q.isEmpty());
            assertNull(q.poll());
            assertEquals(0, ch.stats().diskFiles(), "the drained queue file was deleted");
        }
    }

    @Test
    void operationsInPlaceAreRefusedWithAReason() throws Exception {
        try (Channel<Long> ch = open()) {
            BlockingQueue<Long> q = ch.asBlockingQueue();
            q.offer(1L);
            List<Runnable> refused = List.of(q::iterator, () -> q.remove(1L),
                    () -> q.contains(1L), q::toArray, () -> q.toArray(new Long[0]),
                    () -> q.removeAll(Set.of(1L)), () -> q.retainAll(Set.of(1L)), () -> q.containsAll(Set.of(1L)));
            for (Runnable r : refused) {
                UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, r::run);
                assertTrue(e.getMessage().contains("hopper channel"), e.getMessage());
            }
            assertEquals(1L, q.poll(), "nothing was consumed by the refused calls");
            assertTrue(q.toString().contains(ch.directory().toString()));
        }
    }

    @Test
    void severalConsumerThreadsTakeTurnsAndSeeEveryRecordOnce() throws Exception {
        try (Channel<Long> ch = Hopper.builder(Long.class, dir.resolve("many"))
                .inMemoryBytes(64 * 8).weigher(x -> 8).diskBytes(1 << 20).maxDiskFiles(4).open()) {
            BlockingQueue<Long> q = ch.asBlockingQueue();
            int total = 20_000;
            Set<Long> seen = ConcurrentHashMap.newKeySet();
            List<Long> duplicates = new ArrayList<>();
            List<Thread> consumers = new ArrayList<>();
            for (int c = 0; c < 3; c++) {
                Thread t = new Thread(() -> {
                    try {
                        for (;;) {
                            Long v = q.take();
                            if (v < 0) {
                                return;
                            }
                            if (!seen.add(v)) {
                                synchronized (duplicates) {
                                    duplicates.add(v);
                                }
                            }
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                t.start();
                consumers.add(t);
            }
            for (long i = 0; i < total; i++) {
                q.put(i);
            }
            for (int c = 0; c < consumers.size(); c++) {
                q.put(-1L);
            }
            for (Thread t : consumers) {
                t.join(60_000);
                assertFalse(t.isAlive());
            }
            assertEquals(List.of(), duplicates);
            Set<Long> expected = new HashSet<>();
            for (long i = 0; i < total; i++) {
                expected.add(i);
            }
            assertEquals(expected, seen);
        }
    }

    @Test
    void aClosedChannelRefusesAndWakesABlockedTake() throws Exception {
        Channel<Long> ch = open();
        BlockingQueue<Long> q = ch.asBlockingQueue();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread consumer = new Thread(() -> {
            try {
                q.take();
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        consumer.start();
        awaitBlocked(consumer);
        ch.close();
        consumer.join(60_000);
        assertInstanceOf(ChannelClosedException.class, failure.get());
        assertThrows(ChannelClosedException.class, () -> q.offer(1L));
        assertThrows(ChannelClosedException.class, () -> q.put(1L));
        assertThrows(ChannelClosedException.class, q::poll);
    }

    /**
     * Peeking changes nothing the producers see: a full channel (4 records of weight 1 in 4 bytes,
     * nothing fits on disk) stays full after a peek and takes a fifth record only once the head is
     * taken. (The peek used to take the head out of the ring, and out of the budget with it.)
     */
    @Test
    void aPeekedRecordKeepsItsPlaceInTheMemoryBudget() throws Exception {
        String big = "x".repeat(200); // larger than a queue file of the smallest disk budget
        try (Channel<String> ch = Hopper.builder(String.class, dir.resolve("peek")).inMemoryBytes(4).weigher(s -> 1)
                .diskBytes(81).maxDiskFiles(1).open()) {
            BlockingQueue<String> q = ch.asBlockingQueue();
            for (int i = 0; i < 4; i++) {
                assertTrue(q.offer(big + i));
            }
            assertFalse(q.offer(big + 4), "full");
            assertEquals(0, q.remainingCapacity());
            assertEquals(big + 0, q.peek());
            assertEquals(0, q.remainingCapacity(), "a peek takes nothing");
            assertFalse(q.offer(big + 4), "still full after the peek");
            assertEquals(4, q.size());
            assertEquals(4, ch.stats().recordsInMemory());
            assertEquals(big + 0, q.poll(), "the peeked record, taken");
            assertEquals(1, q.remainingCapacity());
            assertTrue(q.offer(big + 4), "room for one");
            for (int i = 1; i <= 4; i++) {
                assertEquals(big + i, q.poll());
            }
        }
    }

    /** A peeked memory record is written into the snapshot in its place, once. */
    @Test
    void aPeekedMemoryRecordSurvivesACloseInItsPlace() throws Exception {
        Path d = dir.resolve("peek-close");
        try (Channel<String> ch = Hopper.builder(String.class, d).open()) {
            ch.sender().offer("a");
            ch.sender().offer("b");
            assertEquals("a", ch.receiver().peek());
        }
        try (Channel<String> ch = Hopper.builder(String.class, d).open()) {
            assertEquals("a", ch.receiver().poll());
            assertEquals("b", ch.receiver().poll());
            assertNull(ch.receiver().poll());
        }
    }
}
