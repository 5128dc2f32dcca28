package io.hopper;

import io.hopper.testkit.Shapes;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Thread interrupts, as a JVM service delivers them ({@code ExecutorService.shutdownNow},
 * {@code Future.cancel(true)}, an appender being stopped): calls that never wait ignore the
 * interrupt status and leave it set; calls that may wait throw {@link InterruptedException} with
 * the record left with the caller. No interrupt costs, skips or duplicates a record, or breaks the
 * channel for another thread, on either storage back end. (Before: an interrupted consumer wrote a
 * whole queue file off as damage, one interrupted producer broke every producer's sends, and a
 * close from an interrupted thread lost the memory tier.)
 */
@org.junit.jupiter.api.Timeout(value = 2, unit = TimeUnit.MINUTES)
class InterruptTest {
    private static final StorageBackend[] BACKENDS = {StorageBackend.FILE_CHANNEL, StorageBackend.CHRONICLE_BYTES};

    @TempDir
    Path dir;

    @AfterEach
    void clearInterruptStatus() {
        Thread.interrupted();
    }

    @ParameterizedTest
    @EnumSource(value = StorageBackend.class, names = {"FILE_CHANNEL", "CHRONICLE_BYTES"})
    void aConsumerWhoseInterruptStatusIsSetReceivesEveryDiskRecord(StorageBackend storage) throws Exception {
        try (Channel<String> ch = Hopper.builder(String.class, dir).storage(storage).inMemoryBytes(0)
                .diskBytes(1 << 20).maxDiskFiles(4).open()) {
            for (int i = 0; i < 2000; i++) {
                assertTrue(ch.sender().offer("record " + i));
            }
            Thread.currentThread().interrupt();
            int next = 0;
            assertEquals("record 0", ch.receiver().peek(), "peek");
            assertTrue(Thread.currentThread().isInterrupted(), "peek leaves the status set");
            for (; next < 700; next++) {
                assertEquals("record " + next, ch.receiver().poll(), "poll");
            }
            List<String> sink = new ArrayList<>();
            assertEquals(600, ch.receiver().drainTo(sink, 600), "drainTo");
            for (String s : sink) {
                assertEquals("record " + next++, s);
            }
            ch.receiver().commit();
            assertTrue(Thread.currentThread().isInterrupted(), "poll, drainTo and commit leave the status set");
            assertThrows(InterruptedException.class, () -> ch.receiver().receive(), "a call that may wait throws");
            Thread.currentThread().interrupt();
            assertThrows(InterruptedException.class, () -> ch.receiver().poll(1, TimeUnit.SECONDS));
            Thread.currentThread().interrupt();
            for (; next < 2000; next++) {
                assertEquals("record " + next, ch.receiver().poll());
            }
            assertNull(ch.receiver().poll());
            assertTrue(Thread.interrupted());
            assertEquals(0, ch.stats().recordsLost(), ch.stats().toString());
            assertEquals(0, ch.stats().corruptFramesSkipped(), ch.stats().toString());
        }
    }

    /** A first record of a class registers it in types.hop, a file write: on an interrupted thread too. */
    @ParameterizedTest
    @EnumSource(value = StorageBackend.class, names = {"FILE_CHANNEL", "CHRONICLE_BYTES"})
    void aProducerWhoseInterruptStatusIsSetOffersAsUsualAndItsSendThrowsKeepingTheRecord(StorageBackend storage)
            throws Exception {
        try (Channel<Object> ch = Hopper.builder(Object.class, dir).storage(storage).inMemoryBytes(0)
                .syncPolicy(SyncPolicy.ALWAYS).diskBytes(1 << 20).maxDiskFiles(4).open()) {
            Thread.currentThread().interrupt();
            assertTrue(ch.sender().offer(Shapes.reading(1)), "a new class, to disk, forced");
            assertTrue(ch.sender().offer(List.of(1L, 2L)), "another one");
            assertEquals(2, ch.sender().offerAll(List.of("a", "b")));
            ch.sender().flush();
            assertTrue(Thread.currentThread().isInterrupted(), "offer, offerAll and flush leave the status set");
            assertThrows(InterruptedException.class, () -> ch.sender().send("not taken"));
            Thread.currentThread().interrupt();
            BatchInterruptedException b = assertThrows(BatchInterruptedException.class,
                    () -> ch.sender().sendAll(List.of("x", "y")));
            assertEquals(0, b.accepted(), "sendAll took nothing");
            Thread.currentThread().interrupt();
            assertThrows(InterruptedException.class, () -> ch.sender().offer("not taken", 1, TimeUnit.SECONDS));
            assertEquals(4, ch.asBlockingQueue().size(), "exactly the records accepted");
            assertTrue(Shapes.same(Shapes.reading(1), ch.receiver().poll()));
            assertEquals(List.of(1L, 2L), ch.receiver().poll());
            assertEquals("a", ch.receiver().poll());
            assertEquals("b", ch.receiver().poll());
            assertNull(ch.receiver().poll());
        }
    }

    /**
     * One producer is interrupted now and then while three others send under
     * {@code SyncPolicy.ALWAYS} (each send waits for a force, shared between producers): every
     * send that returned is received once, the interrupted one's sends either took the record or
     * threw, and the channel closes cleanly.
     */
    @ParameterizedTest
    @EnumSource(value = StorageBackend.class, names = {"FILE_CHANNEL", "CHRONICLE_BYTES"})
    void oneInterruptedProducerBreaksNothingForTheOthers(StorageBackend storage) throws Exception {
        int producers = 4;
        int perProducer = 1500;
        Channel<Long> ch = Hopper.builder(Long.class, dir).storage(storage).inMemoryBytes(64).weigher(x -> 8)
                .syncPolicy(SyncPolicy.ALWAYS).diskBytes(256 * 1024).maxDiskFiles(8).open();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicInteger interruptedSends = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        CountDownLatch started = new CountDownLatch(producers);
        for (int p = 0; p < producers; p++) {
            int id = p;
            threads.add(new Thread(() -> {
                started.countDown();
                try {
                    for (long seq = 0; seq < perProducer; ) {
                        try {
                            ch.sender().send((long) id << 32 | seq);
                            seq++;
                        } catch (InterruptedException e) {
                            interruptedSends.incrementAndGet(); // not taken: send it again
                        }
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }, "producer-" + p));
        }
        threads.forEach(Thread::start);
        started.await();
        Set<Long> seen = new HashSet<>();
        long[] next = new long[producers];
        int interrupts = 0;
        for (int n = 0; n < producers * perProducer; n++) {
            if (n % 40 == 0) {
                threads.get(0).interrupt();
                interrupts++;
            }
            Long v = ch.receiver().poll(30, TimeUnit.SECONDS);
            assertTrue(v != null, "record " + n + " arrived; failure: " + failure.get());
            assertTrue(seen.add(v), "once: " + v);
            int p = (int) (v >>> 32);
            assertEquals(next[p]++, v & 0xffffffffL, "in producer " + p + "'s order");
        }
        for (Thread t : threads) {
            t.join();
        }
        assertNull(failure.get(), () -> "a producer failed: " + failure.get());
        assertNull(ch.receiver().poll(), "nothing more");
        assertEquals(0, ch.stats().recordsLost());
        ch.close();
        System.out.printf("%s: %d interrupts sent to one of %d producers, %d of its sends threw InterruptedException"
                + " and were sent again; every record received once%n", storage, interrupts, producers, interruptedSends.get());
    }

    @ParameterizedTest
    @EnumSource(value = StorageBackend.class, names = {"FILE_CHANNEL", "CHRONICLE_BYTES"})
    void aCloseFromAnInterruptedThreadKeepsTheMemoryTier(StorageBackend storage) throws Exception {
        Path d = dir.resolve("ch");
        try (Channel<String> ch = Hopper.builder(String.class, d).storage(storage).inMemoryBytes(100 * 64)
                .weigher(s -> 64).diskBytes(1 << 20).maxDiskFiles(4).open()) {
            for (int i = 0; i < 300; i++) { // 100 in memory, then disk, then memory again as it frees
                assertTrue(ch.sender().offer("r" + i));
                if (i == 150) {
                    for (int k = 0; k < 20; k++) {
                        assertEquals("r" + k, ch.receiver().poll());
                    }
                }
            }
            Thread.currentThread().interrupt();
            ch.close();
            assertTrue(Thread.interrupted(), "close leaves the status set");
        }
        try (Channel<String> ch = Hopper.builder(String.class, d).storage(storage).open()) {
            for (int i = 20; i < 300; i++) {
                assertEquals("r" + i, ch.receiver().poll(), "restored in order");
            }
            assertNull(ch.receiver().poll());
            assertEquals(0, ch.stats().recordsLost(), ch.stats().toString());
        }
    }

    @ParameterizedTest
    @EnumSource(value = StorageBackend.class, names = {"FILE_CHANNEL", "CHRONICLE_BYTES"})
    void anOpenFromAnInterruptedThreadRecoversAsUsual(StorageBackend storage) throws Exception {
        Path d = dir.resolve("ch");
        try (Channel<String> ch = Hopper.builder(String.class, d).storage(storage).inMemoryBytes(0).open()) {
            for (int i = 0; i < 50; i++) {
                ch.sender().offer("r" + i);
            }
            ch.receiver().poll();
            ch.receiver().commit();
        }
        Thread.currentThread().interrupt();
        try (Channel<String> ch = Hopper.builder(String.class, d).storage(storage).inMemoryBytes(0).open()) {
            assertTrue(Thread.currentThread().isInterrupted(), "open leaves the status set");
            assertEquals("r1", ch.receiver().poll());
        }
        assertTrue(Thread.interrupted());
    }
}
