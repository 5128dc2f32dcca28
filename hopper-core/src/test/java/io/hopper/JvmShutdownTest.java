package io.hopper;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the JVM shutdown hook does with one channel, run in this JVM ({@link Channel#shutdown}); the
 * real SIGTERM is {@code SigtermTest}'s.
 */
@org.junit.jupiter.api.Timeout(value = 1, unit = TimeUnit.MINUTES)
class JvmShutdownTest {
    @TempDir
    Path dir;

    private Channel<Long> open(boolean hook) throws Exception {
        return Hopper.builder(Long.class, dir.resolve("ch")).inMemoryBytes(8 * 100).weigher(x -> 8).shutdownHook(hook)
                .open();
    }

    @Test
    void tasksRunNewestFirstWhileTheChannelIsOpenThenItClosesKeepingTheMemoryTier() throws Exception {
        Channel<Long> ch = open(true);
        assertTrue(JvmShutdown.registered(ch));
        List<String> ran = new ArrayList<>();
        ch.addShutdownTask(() -> ran.add("first, open=" + !ch.isClosed()));
        ch.addShutdownTask(() -> {
            ran.add("second, open=" + !ch.isClosed());
            throw new IllegalStateException("a task that fails");
        });
        Runnable removed = () -> ran.add("removed");
        ch.addShutdownTask(removed);
        assertTrue(ch.removeShutdownTask(removed));
        for (long i = 0; i < 50; i++) {
            ch.sender().send(i);
        }
        ch.shutdown(JvmShutdown.LOCK_WAIT_NANOS);
        assertEquals(List.of("second, open=true", "first, open=true"), ran, "newest first; a failure stops no other");
        assertTrue(ch.isClosed());
        assertFalse(JvmShutdown.registered(ch), "a closed channel is left alone");
        try (Channel<Long> again = open(true)) {
            for (long i = 0; i < 50; i++) {
                assertEquals(i, again.receiver().poll(), "the memory tier was kept");
            }
        }
    }

    /**
     * A consumer stuck in its sink (or a consumer thread that called System.exit itself) holds the
     * receiver: the hook waits the bound, gives the channel up with a warning, and lets the JVM go.
     */
    @Test
    void aConsumerStuckInItsCallDoesNotHoldTheShutdownBeyondTheBound() throws Exception {
        Channel<Long> ch = open(true);
        ch.sender().send(1L);
        CountDownLatch inSink = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread consumer = new Thread(() -> ch.receiver().drainTo(new ArrayList<>() {
            @Override
            public boolean add(Long v) {
                inSink.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return super.add(v);
            }
        }, 10));
        consumer.start();
        inSink.await();
        ch.shutdown(TimeUnit.MILLISECONDS.toNanos(50));
        assertFalse(ch.isClosed(), "given up, not closed under the consumer's feet");
        release.countDown();
        consumer.join();
        ch.close();
        assertFalse(JvmShutdown.registered(ch));
    }

    @Test
    void withTheHookOffNothingIsRegistered() throws Exception {
        try (Channel<Long> ch = open(false)) {
            assertFalse(JvmShutdown.registered(ch));
        }
    }

    @Test
    void closingTwiceAndFromTheHookAfterTheApplicationClosedIsHarmless() throws Exception {
        Channel<Long> ch = open(true);
        ch.sender().send(7L);
        ch.close();
        ch.shutdown(JvmShutdown.LOCK_WAIT_NANOS); // an application hook closed it first
        ch.close();
        try (Channel<Long> again = open(true)) {
            assertEquals(7L, again.receiver().poll());
            assertNull(again.receiver().poll());
        }
    }

    @Test
    void aTaskSeesTheChannelOpenAndCanStillReceiveAndCommit() throws Exception {
        Channel<Long> ch = Hopper.builder(Long.class, dir.resolve("m")).commitMode(CommitMode.MANUAL)
                .durability(Durability.WRITE_THROUGH).open();
        for (long i = 0; i < 10; i++) {
            ch.sender().send(i);
        }
        Collection<Long> drained = new ArrayList<>();
        ch.addShutdownTask(() -> {
            ch.receiver().drainTo(drained, 4);
            ch.receiver().commit();
        });
        ch.shutdown(JvmShutdown.LOCK_WAIT_NANOS);
        assertEquals(List.of(0L, 1L, 2L, 3L), drained);
        try (Channel<Long> again = Hopper.builder(Long.class, dir.resolve("m")).commitMode(CommitMode.MANUAL)
                .durability(Durability.WRITE_THROUGH).open()) {
            assertEquals(4L, again.receiver().poll(), "what the task committed does not come again");
        }
    }
}
