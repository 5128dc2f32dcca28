package io.hopper.internal.file;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import io.hopper.testkit.ForwardingFileChannel;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InterruptSafeChannelTest {
    private static final OpenOption[] RW = {StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE};

    @TempDir
    Path dir;

    @AfterEach
    void clearInterruptStatus() {
        Thread.interrupted();
    }

    @Test
    void positionalIoReadsWhatThereIsAndWritesEverything() throws IOException {
        try (InterruptSafeChannel ch = InterruptSafeChannel.open(dir.resolve("io.bin"), RW)) {
            byte[] src = new byte[100];
            for (int i = 0; i < src.length; i++) {
                src[i] = (byte) i;
            }
            ch.write(10, src, 20, 50);
            assertEquals(60, ch.size());
            byte[] dst = new byte[80];
            assertEquals(30, ch.read(30, dst, 5, 70), "only 30 bytes after offset 30");
            assertEquals(40, dst[5]);
            assertEquals(69, dst[34]);
            assertEquals(0, ch.read(60, dst, 0, 10));
            ch.truncate(20);
            assertEquals(20, ch.size());
        }
    }

    /** What this class is for: a plain channel is closed, for every thread, by a caller's interrupt status. */
    @Test
    void aPlainFileChannelIsClosedByTheCallersInterruptStatus() throws IOException {
        try (FileChannel ch = FileChannel.open(dir.resolve("plain.bin"), RW)) {
            Thread.currentThread().interrupt();
            assertThrows(ClosedByInterruptException.class, () -> ch.write(ByteBuffer.wrap(new byte[4]), 0));
            assertFalse(ch.isOpen(), "closed for everyone");
        }
    }

    @Test
    void anInterruptStatusSetBeforeACallNeitherFailsItNorClosesTheFileAndStaysSet() throws IOException {
        try (InterruptSafeChannel ch = InterruptSafeChannel.open(dir.resolve("status.bin"), RW)) {
            byte[] data = "interrupted, and written anyway".getBytes();
            Thread.currentThread().interrupt();
            ch.write(0, data, 0, data.length);
            assertTrue(Thread.currentThread().isInterrupted(), "the status is the caller's: set again");
            ch.force(false);
            assertTrue(Thread.currentThread().isInterrupted());
            assertEquals(data.length, ch.size());
            byte[] back = new byte[data.length];
            assertEquals(data.length, ch.read(0, back, 0, back.length));
            assertArrayEquals(data, back);
            ch.truncate(4);
            assertEquals(4, ch.size());
            assertTrue(Thread.interrupted(), "still set after every call");
            assertEquals(0, ch.reopens(), "a status set before the call never reaches the channel");
        }
    }

    /**
     * An interrupt that lands inside an operation: the JDK closes the channel and throws
     * ClosedByInterruptException. The test's channels do exactly that (they set the thread's
     * interrupt status just before calling the real channel, which then closes itself), on demand.
     */
    @Test
    void anInterruptInsideEachOperationReopensTheFileAndTheOperationCompletes() throws IOException {
        Triggers triggers = new Triggers();
        try (InterruptSafeChannel ch = InterruptSafeChannel.open(dir.resolve("during.bin"), triggers, RW)) {
            byte[] data = new byte[10_000];
            new Random(7).nextBytes(data);
            triggers.next.set(true);
            ch.write(0, data, 0, data.length);
            assertTrue(Thread.interrupted(), "write: the interrupt is reported to the caller");
            triggers.next.set(true);
            ch.force(true);
            assertTrue(Thread.interrupted(), "force");
            triggers.next.set(true);
            assertEquals(data.length, ch.size(), "size");
            assertTrue(Thread.interrupted());
            byte[] back = new byte[data.length];
            triggers.next.set(true);
            assertEquals(data.length, ch.read(0, back, 0, back.length), "read");
            assertTrue(Thread.interrupted());
            assertArrayEquals(data, back, "every byte written once, in its place");
            triggers.next.set(true);
            ch.truncate(100);
            assertTrue(Thread.interrupted(), "truncate");
            assertEquals(100, ch.size());
            assertEquals(5, ch.reopens(), "each interrupt closed the channel, and it was opened again");
            assertEquals(6, triggers.opened.get(), "the first open and one per interrupt");
        }
    }

    @Test
    void anotherThreadUsingTheFileFindsItReopened() throws Exception {
        Triggers triggers = new Triggers();
        try (InterruptSafeChannel ch = InterruptSafeChannel.open(dir.resolve("shared.bin"), triggers, RW)) {
            byte[] a = "written by the interrupted thread".getBytes();
            byte[] b = "written by the other".getBytes();
            triggers.next.set(true);
            ch.write(0, a, 0, a.length); // closes the shared channel underneath, then reopens it
            assertTrue(Thread.interrupted());
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread other = new Thread(() -> {
                try {
                    ch.write(100, b, 0, b.length);
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
            other.start();
            other.join();
            assertEquals(null, failure.get(), "the other thread's write works");
            byte[] back = new byte[b.length];
            ch.read(100, back, 0, back.length);
            assertArrayEquals(b, back);
        }
    }

    @Test
    void aThreadWhoseChannelAnotherThreadsInterruptClosedReopensIt() throws Exception {
        Triggers triggers = new Triggers();
        Path p = dir.resolve("closed-under.bin");
        try (InterruptSafeChannel ch = InterruptSafeChannel.open(p, triggers, RW)) {
            // The other thread's interrupt closes the channel while this one does not use it; this
            // thread's next operation meets a ClosedChannelException, which is no interrupt of its own.
            Thread other = new Thread(() -> {
                triggers.next.set(true);
                try {
                    ch.size();
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            });
            other.start();
            other.join();
            byte[] data = {1, 2, 3};
            ch.write(0, data, 0, 3);
            assertFalse(Thread.currentThread().isInterrupted(), "this thread was never interrupted");
            assertEquals(3, ch.size());
            assertEquals(1, ch.reopens());
        }
    }

    @Test
    void aFileRenamedOverTheNameIsNeverReadInPlaceOfTheOneOpened() throws IOException {
        Triggers triggers = new Triggers();
        Path p = dir.resolve("replaced.bin");
        Files.write(p, new byte[] {1, 1, 1});
        try (InterruptSafeChannel ch = InterruptSafeChannel.open(p, triggers, StandardOpenOption.READ)) {
            Path other = dir.resolve("other.bin");
            Files.write(other, new byte[] {2, 2, 2});
            Files.move(other, p, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            triggers.next.set(true);
            IOException e = assertThrows(IOException.class, () -> ch.read(0, new byte[3], 0, 3));
            assertTrue(e.getMessage().contains("another file"), e.getMessage());
            assertTrue(Thread.interrupted(), "the interrupt stays the caller's");
        }
    }

    @Test
    void closeIsFinalAndNeverUndoneByAReopen() throws IOException {
        InterruptSafeChannel ch = InterruptSafeChannel.open(dir.resolve("final.bin"), RW);
        ch.close();
        assertFalse(ch.isOpen());
        assertThrows(ClosedChannelException.class, () -> ch.size());
        ch.close(); // idempotent
        assertEquals(0, ch.reopens());
    }

    /**
     * Two threads write and read their own regions of one file while a third interrupts them at
     * random moments (about every 20 µs): every byte lands once in its place, nothing throws, and
     * each thread's interrupt status is what it was told.
     */
    @Test
    void interruptsAtRandomMomentsNeverCostAByte() throws Exception {
        long seed = Long.getLong("hopper.interrupt.seed", System.nanoTime());
        System.out.println("InterruptSafeChannelTest seed: " + seed + " (rerun with -Dhopper.interrupt.seed=" + seed + ")");
        Random rnd = new Random(seed);
        try (InterruptSafeChannel ch = InterruptSafeChannel.open(dir.resolve("storm.bin"), RW)) {
            int rounds = 2_000;
            int size = 512;
            AtomicBoolean done = new AtomicBoolean();
            List<Thread> workers = new ArrayList<>();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicInteger interruptsSeen = new AtomicInteger();
            AtomicBoolean raining = new AtomicBoolean(); // set by the interrupter after its first interrupt
            for (int w = 0; w < 2; w++) {
                int id = w;
                long workerSeed = rnd.nextLong();
                workers.add(new Thread(() -> {
                    Random r = new Random(workerSeed);
                    byte[] out = new byte[size];
                    byte[] in = new byte[size];
                    try {
                        while (!raining.get()) {
                            Thread.onSpinWait(); // however busy the machine, the storm has begun
                        }
                        for (int i = 0; i < rounds; i++) {
                            r.nextBytes(out);
                            long at = (long) (id * rounds + i) * size;
                            ch.write(at, out, 0, size);
                            if (i % 64 == 0) {
                                ch.force(false);
                            }
                            assertEquals(size, ch.read(at, in, 0, size));
                            assertArrayEquals(out, in, "round " + i + " of worker " + id);
                            if (Thread.interrupted()) {
                                interruptsSeen.incrementAndGet();
                            }
                        }
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    }
                }, "storm-" + w));
            }
            Thread interrupter = new Thread(() -> {
                Random r = new Random(seed ^ 0x5DEECE66DL);
                while (!done.get()) {
                    workers.get(r.nextInt(workers.size())).interrupt();
                    raining.set(true);
                    java.util.concurrent.locks.LockSupport.parkNanos(5_000 + r.nextInt(30_000));
                }
            });
            workers.forEach(Thread::start);
            interrupter.start();
            for (Thread t : workers) {
                t.join();
            }
            done.set(true);
            interrupter.join();
            if (failure.get() != null) {
                throw new AssertionError("seed " + seed, failure.get());
            }
            System.out.println("InterruptSafeChannelTest: the workers found their interrupt status set after "
                    + interruptsSeen.get() + " rounds; interrupts that landed inside an operation closed the file "
                    + ch.reopens() + " times, and it was reopened each time");
            assertTrue(interruptsSeen.get() > 0, "the workers were interrupted");
        }
    }

    @Test
    void uninterruptiblyRunsAgainAfterAnInterruptClosedItsChannelAndRestoresTheStatus() throws IOException {
        Path p = dir.resolve("once.bin");
        AtomicInteger attempts = new AtomicInteger();
        Thread.currentThread().interrupt();
        String result = Uninterruptibly.call(() -> {
            if (attempts.incrementAndGet() == 1) {
                Thread.currentThread().interrupt(); // arrives during the first attempt
                try (FileChannel ch = FileChannel.open(p, RW)) {
                    ch.write(ByteBuffer.wrap(new byte[1]), 0); // the JDK closes it and throws
                }
                throw new AssertionError("the interrupted write did not throw");
            }
            assertFalse(Thread.currentThread().isInterrupted(), "each attempt runs with the status clear");
            return "done";
        });
        assertEquals("done", result);
        assertEquals(2, attempts.get());
        assertTrue(Thread.interrupted(), "set again afterwards");
        IOException other = new IOException("disk on fire");
        assertEquals(other, assertThrows(IOException.class, () -> Uninterruptibly.run(() -> {
            throw other;
        })), "other failures are not retried");
        assertTrue(Uninterruptibly.closedByInterrupt(new RuntimeException(new ClosedByInterruptException())),
                "found inside a library's wrapper");
    }

    /** Opens real channels that, when {@link #next} is set, see an interrupt arrive just as their next operation starts. */
    private static final class Triggers implements InterruptSafeChannel.Opener {
        final AtomicBoolean next = new AtomicBoolean();
        final AtomicInteger opened = new AtomicInteger();

        @Override
        public FileChannel open(Path path, Set<OpenOption> options) throws IOException {
            opened.incrementAndGet();
            return new Triggered(FileChannel.open(path, options), next);
        }
    }

    /** A real channel; {@code trigger} makes the next operation run as if an interrupt arrived in it. */
    private static final class Triggered extends ForwardingFileChannel {
        private final AtomicBoolean trigger;

        Triggered(FileChannel ch, AtomicBoolean trigger) {
            super(ch);
            this.trigger = trigger;
        }

        @Override
        protected void beforeOperation() {
            if (trigger.compareAndSet(true, false)) {
                Thread.currentThread().interrupt(); // the real channel below closes itself at once
            }
        }

        @Override
        public String toString() {
            return "Triggered" + Arrays.toString(new Object[] {delegate});
        }
    }
}
