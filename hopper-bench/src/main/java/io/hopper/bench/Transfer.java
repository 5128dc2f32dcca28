package io.hopper.bench;

import io.hopper.Channel;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Moves a fixed number of records from P producer threads to one consumer thread, through either
 * a hopper channel or a {@link BlockingQueue}, and reports the elapsed time. The records are
 * built beforehand so that only the hand-off is measured.
 */
public final class Transfer {
    private Transfer() {
    }

    interface Target {
        void send(byte[] r) throws InterruptedException;

        byte[] receive() throws InterruptedException;
    }

    static Target of(Channel<byte[]> ch) {
        return new Target() {
            @Override
            public void send(byte[] r) throws InterruptedException {
                ch.sender().send(r);
            }

            @Override
            public byte[] receive() throws InterruptedException {
                return ch.receiver().receive();
            }
        };
    }

    static Target of(BlockingQueue<byte[]> q) {
        return new Target() {
            @Override
            public void send(byte[] r) throws InterruptedException {
                q.put(r);
            }

            @Override
            public byte[] receive() throws InterruptedException {
                return q.take();
            }
        };
    }

    static Target arrayBlockingQueue(int capacity) {
        return of(new ArrayBlockingQueue<>(capacity));
    }

    /** Runs one transfer of {@code perProducer} records from each of {@code producers} threads; returns nanoseconds. */
    static long run(Target target, int producers, byte[][] records, int perProducer) throws Exception {
        return run(target, producers, records, perProducer, 0)[1];
    }

    /**
     * A consumer that takes {@code nanosPerRecord} per record the way a downstream sink does:
     * waiting (for a network or disk round trip), not computing. The debt is paid in sleeps of at
     * least a millisecond, so the slow consumer leaves its CPU to the producers and the
     * average rate is right even though the OS cannot sleep for microseconds.
     */
    public static final class SlowSink { // one consumer thread's own pacing state: not shared
        private final long nanosPerRecord;
        private long debt;
        private long since = System.nanoTime();

        public SlowSink(long nanosPerRecord) {
            this.nanosPerRecord = nanosPerRecord;
        }

        /** Accounts for one record; sleeps when a millisecond or more is owed. */
        public void record() throws InterruptedException {
            if (nanosPerRecord <= 0) {
                return;
            }
            debt += nanosPerRecord;
            if (debt >= 1_000_000) {
                long now = System.nanoTime();
                debt -= now - since; // time spent receiving counts as time worked
                if (debt > 0) {
                    java.util.concurrent.locks.LockSupport.parkNanos(debt);
                    if (Thread.interrupted()) {
                        throw new InterruptedException();
                    }
                }
                long after = System.nanoTime();
                debt -= after - now;
                debt = Math.max(debt, -1_000_000); // a slow OS wake-up is not credit forever
                since = after;
            }
        }
    }

    /**
     * Runs one transfer with a consumer that takes {@code consumerNanos} per record, like a
     * downstream sink (see {@link SlowSink}). Returns the nanoseconds until the
     * last producer's last send returned, and until the consumer had every record.
     */
    static long[] run(Target target, int producers, byte[][] records, int perProducer, long consumerNanos)
            throws Exception {
        CountDownLatch start = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        long total = (long) producers * perProducer;
        SlowSink pace = new SlowSink(consumerNanos);
        Thread consumer = new Thread(() -> {
            try {
                start.await();
                long sum = 0;
                for (long i = 0; i < total; i++) {
                    sum += target.receive().length;
                    pace.record();
                }
                if (sum != total * records[0].length) {
                    throw new AssertionError("lost bytes");
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        }, "bench-consumer");
        Thread[] threads = new Thread[producers];
        for (int p = 0; p < producers; p++) {
            int id = p;
            threads[p] = new Thread(() -> {
                try {
                    start.await();
                    for (int i = 0; i < perProducer; i++) {
                        target.send(records[(id * 7919 + i) % records.length]);
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }, "bench-producer-" + p);
        }
        consumer.start();
        for (Thread t : threads) {
            t.start();
        }
        long t0 = System.nanoTime();
        start.countDown();
        for (Thread t : threads) {
            t.join();
        }
        long sent = System.nanoTime() - t0;
        consumer.join();
        long elapsed = System.nanoTime() - t0;
        if (failure.get() != null) {
            throw new IllegalStateException("transfer failed", failure.get());
        }
        return new long[] {sent, elapsed};
    }
}
