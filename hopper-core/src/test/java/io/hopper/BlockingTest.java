package io.hopper;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Blocking sends and receives wake when they should. The generous timeouts on futures only keep a
 * broken build from hanging; the wake-up latency is printed, not asserted: the JMH
 * {@code WakeUpBenchmark} in hopper-bench measures it.
 */
class BlockingTest {

    @TempDir
    Path dir;

    private Channel<Long> open(long memBytes, long diskBytes, int files) throws Exception {
        return Hopper.builder(Long.class, dir.resolve("ch"))
                .inMemoryBytes(memBytes).weigher(x -> 8)
                .diskBytes(diskBytes).maxDiskFiles(files)
                .open();
    }

    /** Waits until {@code t} is parked in a wait (its state says so), without sleeping in the check. */
    private static void awaitBlocked(Thread t) {
        while (t.getState() != Thread.State.WAITING && t.getState() != Thread.State.TIMED_WAITING) {
            if (!t.isAlive()) {
                throw new AssertionError("thread ended instead of blocking");
            }
            Thread.onSpinWait();
        }
    }

    /** Offers 0, 1, 2, ... until both tiers are full; returns the first value that did not fit. */
    private static long fillBothTiers(Channel<Long> ch) {
        long n = 0;
        while (ch.sender().offer(n)) {
            n++;
        }
        return n;
    }

    /** Starts a producer that sends {@code value}, and returns once it is blocked waiting for room. */
    private static CompletableFuture<Void> startBlockedSend(Channel<Long> ch, long value) {
        CompletableFuture<Void> sent = new CompletableFuture<>();
        Thread producer = new Thread(() -> {
            try {
                ch.sender().send(value);
                sent.complete(null);
            } catch (Throwable e) {
                sent.completeExceptionally(e);
            }
        });
        producer.start();
        awaitBlocked(producer);
        return sent;
    }

    @Test
    void blockedReceiveWakesForARecordThatWentToDisk() throws Exception {
        try (Channel<Long> ch = open(0, 1 << 20, 4)) { // no memory: every record goes to disk
            long[] wokeAt = new long[1];
            CompletableFuture<Long> got = new CompletableFuture<>();
            Thread consumer = new Thread(() -> {
                try {
                    Long v = ch.receiver().receive();
                    wokeAt[0] = System.nanoTime();
                    got.complete(v);
                } catch (Throwable e) {
                    got.completeExceptionally(e);
                }
            });
            consumer.start();
            awaitBlocked(consumer);
            long sentAt = System.nanoTime();
            assertTrue(ch.sender().offer(42L));
            assertEquals(42L, got.get(10, TimeUnit.SECONDS));
            assertEquals(1, ch.stats().recordsSpilled());
            System.out.printf("blocked receive woke %.3f ms after a disk send%n", (wokeAt[0] - sentAt) / 1e6);
        }
    }

    @Test
    void blockedSendWakesWhenTheConsumerFreesRoom() throws Exception {
        try (Channel<Long> ch = open(8 * 2, 256, 1)) {
            long last = fillBothTiers(ch);
            CompletableFuture<Void> sent = startBlockedSend(ch, last);
            assertFalse(sent.isDone());
            for (long i = 0; i <= last; i++) {
                assertEquals(i, ch.receiver().receive());
            }
            sent.get(10, TimeUnit.SECONDS);
            assertNull(ch.receiver().poll());
        }
    }

    @Test
    void timedOfferAndPollGiveUp() throws Exception {
        try (Channel<Long> ch = open(8, 256, 1)) {
            assertNull(ch.receiver().poll(20, TimeUnit.MILLISECONDS));
            long n = fillBothTiers(ch);
            assertFalse(ch.sender().offer(n, 20, TimeUnit.MILLISECONDS));
            assertEquals(0L, ch.receiver().poll(1, TimeUnit.SECONDS));
            assertTrue(ch.sender().offer(n, 1, TimeUnit.SECONDS));
        }
    }

    @Test
    void closeWakesBlockedReceiverAndSenderWithClosedError() throws Exception {
        Channel<Long> ch = open(8, 256, 1);
        CompletableFuture<Long> receive = new CompletableFuture<>();
        Thread consumer = new Thread(() -> {
            try {
                receive.complete(ch.receiver().receive());
            } catch (Throwable e) {
                receive.completeExceptionally(e);
            }
        });
        consumer.start();
        awaitBlocked(consumer);
        ch.close();
        ExecutionException e = assertThrows(ExecutionException.class, () -> receive.get(10, TimeUnit.SECONDS));
        assertInstanceOf(ChannelClosedException.class, e.getCause());
        assertThrows(ChannelClosedException.class, () -> ch.sender().offer(1L));
        assertThrows(ChannelClosedException.class, () -> ch.receiver().poll());
        assertTrue(ch.isClosed());
        ch.close(); // idempotent
    }

    @Test
    void closeWakesBlockedSender() throws Exception {
        Channel<Long> ch = open(8, 256, 1);
        CompletableFuture<Void> sent = startBlockedSend(ch, fillBothTiers(ch));
        ch.close();
        ExecutionException e = assertThrows(ExecutionException.class, () -> sent.get(10, TimeUnit.SECONDS));
        assertInstanceOf(ChannelClosedException.class, e.getCause());
    }

    @Test
    void interruptedSendKeepsTheRecordWithTheCaller() throws Exception {
        try (Channel<Long> ch = open(8, 256, 1)) {
            long last = fillBothTiers(ch);
            CountDownLatch done = new CountDownLatch(1);
            Throwable[] thrown = new Throwable[1];
            Thread producer = new Thread(() -> {
                try {
                    ch.sender().send(last);
                } catch (Throwable e) {
                    thrown[0] = e;
                }
                done.countDown();
            });
            producer.start();
            awaitBlocked(producer);
            producer.interrupt();
            assertTrue(done.await(10, TimeUnit.SECONDS));
            assertInstanceOf(InterruptedException.class, thrown[0]);
            for (long i = 0; i < last; i++) {
                assertEquals(i, ch.receiver().poll());
            }
            assertNull(ch.receiver().poll(), "the interrupted record was not taken");
        }
    }

    @Test
    void blockingIteratorEndsWhenTheChannelCloses() throws Exception {
        Channel<Long> ch = open(8 * 4, 1 << 16, 2);
        for (long i = 0; i < 10; i++) {
            ch.sender().send(i);
        }
        CompletableFuture<Long> count = CompletableFuture.supplyAsync(() -> {
            long c = 0;
            for (Long v : ch.receiver()) {
                assertEquals(c, v);
                c++;
                if (c == 10) {
                    ch.close();
                }
            }
            return c;
        });
        assertEquals(10L, count.get(10, TimeUnit.SECONDS));
    }

    /**
     * Found by the operations fuzz target: the consumer read every record of the file being
     * written and went idle; the next append found the file full, sealed it, and with the file
     * budget spent was refused, although the sealed file held nothing unread. A producer refused
     * room now deletes such files itself when the consumer's lock is free.
     */
    @Test
    void aFullFileTheIdleConsumerAlreadyDrainedDoesNotRefuseTheNextSend() throws Exception {
        long fits;
        try (Channel<Long> probe = Hopper.builder(Long.class, dir.resolve("probe")).inMemoryBytes(0)
                .diskBytes(2048).maxDiskFiles(1).open()) {
            fits = fillBothTiers(probe); // records one file holds
        }
        try (Channel<Long> ch = Hopper.builder(Long.class, dir.resolve("ch")).inMemoryBytes(0)
                .diskBytes(2048).maxDiskFiles(1).open()) {
            for (long i = 0; i < fits; i++) {
                assertTrue(ch.sender().offer(i), "record " + i);
            }
            for (long i = 0; i < fits; i++) {
                assertEquals(i, ch.receiver().poll());
            }
            assertNull(ch.receiver().poll(), "the consumer is idle, the full file not yet sealed");
            assertTrue(ch.sender().offer(-1L), "the drained file must make room");
            for (long i = 1; i < fits; i++) {
                assertTrue(ch.sender().offer(i), "record " + i + " in the new file");
            }
            assertEquals(-1L, ch.receiver().poll());
            for (long i = 1; i < fits; i++) {
                assertEquals(i, ch.receiver().poll());
            }
            assertNull(ch.receiver().poll());
            // Again, with a timed send: it must not wait for a consumer that is not coming.
            assertTrue(ch.sender().offer(0L, 10, TimeUnit.SECONDS), "timed send into a drained full file");
            assertEquals(0L, ch.receiver().poll());
        }
    }
}
