package io.hopper.internal.codec;

import io.hopper.Compression;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Encoder state (Kryo instances, serialization buffers, compressor tables) follows the number of
 * threads encoding at once, not the number of threads that ever encoded: with one virtual thread
 * per request, a thread-local made one Kryo and one 16 KiB table per request.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES) // a hang guard, not a timing assertion
class EncoderPoolTest {

    record Event(long id, String host, String message) {
    }

    @Test
    void tenThousandVirtualThreadsShareAFewEncoders() throws Exception {
        assumeTrue(Runtime.version().feature() >= 21, "virtual threads need JDK 21");
        KryoSerializer<Event> kryo = new KryoSerializer<>(Event.class, k -> { });
        RecordCodec<Event> codec = new RecordCodec<>(kryo, Compression.LZ4, 24);
        int threads = 10_000;
        CountDownLatch parked = new CountDownLatch(threads);
        CountDownLatch release = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> all = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            long id = i;
            all.add(startVirtual(() -> {
                try {
                    Event e = new Event(id, "host-" + (id % 7), "a log line that repeats, repeats, repeats " + id);
                    EncodedRecord r = codec.encode(e);
                    Event back = codec.decode(r.buffer(), 24, r.payloadLength(), r.codec(),
                            new RecordCodec.DecodeScratch());
                    if (!e.equals(back)) {
                        throw new AssertionError("round trip: " + back);
                    }
                    codec.release(r);
                    parked.countDown();
                    release.await(); // a sender waiting for room, its record encoded once
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                    parked.countDown();
                }
            }));
        }
        parked.await();
        assertNull(failure.get());
        long bound = 64 + Runtime.getRuntime().availableProcessors(); // the pool's cap plus the carriers
        assertTrue(kryo.statesCreated() <= bound, "Kryo instances made for 10,000 threads: " + kryo.statesCreated());
        assertTrue(codec.scratchesCreated() <= bound, "encoder states made: " + codec.scratchesCreated());
        release.countDown();
        for (Thread t : all) {
            t.join();
        }
    }

    @Test
    void aBorrowedObjectHasOneOwnerAndThePoolRetainsAtMostItsSize() throws Exception {
        AtomicInteger made = new AtomicInteger();
        BoundedPool<AtomicReference<Thread>> pool = new BoundedPool<>(4, () -> {
            made.incrementAndGet();
            return new AtomicReference<>();
        });
        Map<Object, Boolean> seen = new ConcurrentHashMap<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            threads.add(new Thread(() -> {
                for (int i = 0; i < 20_000; i++) {
                    AtomicReference<Thread> owner = pool.borrow();
                    seen.put(owner, true);
                    if (!owner.compareAndSet(null, Thread.currentThread())) {
                        failure.compareAndSet(null, new AssertionError("lent to two threads at once"));
                    }
                    owner.set(null);
                    pool.release(owner);
                }
            }));
        }
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join();
        }
        assertNull(failure.get());
        assertEquals(made.get(), pool.created());
        assertTrue(pool.retained() <= 4, "retained " + pool.retained());
        assertTrue(made.get() <= 4 + 8, "made " + made.get() + " for 8 threads");
        assertEquals(seen.size(), made.get());
    }

    private static Thread startVirtual(Runnable task) throws Exception {
        Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
        return (Thread) Class.forName("java.lang.Thread$Builder").getMethod("start", Runnable.class)
                .invoke(builder, task);
    }
}
