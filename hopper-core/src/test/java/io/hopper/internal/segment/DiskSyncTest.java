package io.hopper.internal.segment;

import io.hopper.Compression;
import io.hopper.Serializer;
import io.hopper.internal.codec.RecordCodec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Group commit: producers that wait for durability at the same time share forces. */
class DiskSyncTest {

    @TempDir
    Path dir;

    /** FileChannel storage whose force blocks until the test releases it, and counts forces. */
    static final class GatedStorage implements SegmentStorage {
        final FileChannelStorage real = new FileChannelStorage();
        final CountDownLatch firstForceEntered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicInteger forces = new AtomicInteger();

        @Override
        public String name() {
            return "gated";
        }

        @Override
        public SegmentWriter create(Path path, long capacity) throws IOException {
            SegmentWriter f = real.create(path, capacity);
            return new ForwardingSegmentWriter(f) {
                @Override
                public void force() throws IOException {
                    firstForceEntered.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        throw new IOException(e);
                    }
                    forces.incrementAndGet();
                    super.force();
                }
            };
        }

        @Override
        public SegmentReader openForRead(Path path) throws IOException {
            return real.openForRead(path);
        }
    }

    private static void awaitParked(Thread t) {
        while (t.getState() != Thread.State.WAITING && t.getState() != Thread.State.TIMED_WAITING) {
            assertTrue(t.isAlive(), "thread ended instead of waiting");
            Thread.onSpinWait();
        }
    }

    @Test
    void producersWaitingTogetherShareOneForce() throws Exception {
        GatedStorage storage = new GatedStorage();
        SegmentLog log = new SegmentLog(dir, storage, 1 << 20, 4);
        SegmentAppender appender = new SegmentAppender(log, 0, 0, true);
        ReentrantLock back = new ReentrantLock();
        DiskSync sync = new DiskSync(log, appender, back);
        RecordCodec<Long> codec = new RecordCodec<>(Serializer.kryo(Long.class), Compression.NONE,
                SegmentFormat.FRAME_HEADER_BYTES);

        assertTrue(appender.tryAppend(codec.encode(0L)));
        Thread a = new Thread(() -> await(sync, 1));
        a.start();
        storage.firstForceEntered.await(); // A is inside its force, holding the sync lock

        assertTrue(appender.tryAppend(codec.encode(1L)));
        assertTrue(appender.tryAppend(codec.encode(2L)));
        Thread b = new Thread(() -> await(sync, 2));
        Thread c = new Thread(() -> await(sync, 3));
        b.start();
        c.start();
        awaitParked(b);
        awaitParked(c);
        storage.release.countDown();
        a.join();
        b.join();
        c.join();
        // A's force covered record 0 only (it read the end before records 1 and 2 came); the next
        // force covered both of theirs: three producers, two forces.
        assertEquals(2, storage.forces.get());
        assertEquals(2, sync.forces());
    }

    private static void await(DiskSync sync, long index) {
        try {
            sync.awaitDurable(index);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
