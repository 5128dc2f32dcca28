package io.hopper.bench;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Send-to-receive latency at a fixed offered load below saturation.
 *
 * <p>One producer sends a fresh 64-byte record every {@code 1/rate} seconds on a fixed schedule;
 * the record carries its <em>scheduled</em> send time, and the consumer measures from that time
 * to the moment it has the record. Measuring from the schedule rather than from the actual send
 * counts a stalled producer's backlog against the queue (no coordinated omission). Every
 * record is timed; percentiles come from a sample of at most {@value #MAX_SAMPLES} latencies taken
 * at an even stride, and the maximum from all of them.
 */
final class Latency {
    private Latency() {
    }

    static final int MAX_SAMPLES = 2_000_000;
    static final int RECORD_BYTES = 64;
    private static final VarHandle LONG_AT = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    /** Percentiles in nanoseconds. */
    record Result(String queue, double offeredPerSec, long records, long p50, long p99, long p999, long max) {
    }

    /** Sends {@code rate} records per second for {@code seconds} (after a {@code warmupSeconds} run that is not counted). */
    static Result run(String name, Transfer.Target target, double rate, double seconds, double warmupSeconds)
            throws Exception {
        measure(target, rate, warmupSeconds);
        long[] lat = measure(target, rate, seconds);
        long records = lat[lat.length - 2];
        long max = lat[lat.length - 1];
        long[] sample = Arrays.copyOf(lat, lat.length - 2);
        Arrays.sort(sample);
        return new Result(name, rate, records, pct(sample, 0.50), pct(sample, 0.99), pct(sample, 0.999), max);
    }

    /**
     * The highest rate this harness's producer reaches through {@code target}: the same fresh,
     * time-stamped records, sent without pacing. Half of it is a load the queue and the producer
     * can both sustain, so latency is measured below saturation rather than on a growing backlog.
     */
    static double saturatedRate(Transfer.Target target, long records) throws Exception {
        measure(target, Double.POSITIVE_INFINITY, records); // warm-up
        long t0 = System.nanoTime();
        measure(target, Double.POSITIVE_INFINITY, records);
        return records / ((System.nanoTime() - t0) / 1e9);
    }

    private static long pct(long[] sorted, double q) {
        if (sorted.length == 0) {
            return 0;
        }
        int i = (int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
        return sorted[Math.max(0, i)];
    }

    /** Returns the sampled latencies followed by the record count and the maximum. */
    private static long[] measure(Transfer.Target target, double rate, double seconds) throws Exception {
        return measure(target, rate, Math.max(1, (long) (rate * seconds)));
    }

    /** Sends {@code total} records at {@code rate} (unpaced when infinite). */
    private static long[] measure(Transfer.Target target, double rate, long total) throws Exception {
        long stride = Math.max(1, (total + MAX_SAMPLES - 1) / MAX_SAMPLES);
        int samples = (int) ((total + stride - 1) / stride);
        // Written only by the consumer thread; read by this thread after consumer.join(), which
        // orders every write before the read.
        long[] out = new long[samples + 2];
        double periodNanos = 1e9 / rate;
        CountDownLatch ready = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        long[] start = new long[1];
        Thread consumer = new Thread(() -> {
            try {
                ready.await();
                long max = 0;
                for (long i = 0; i < total; i++) {
                    byte[] r = target.receive();
                    long l = System.nanoTime() - (long) LONG_AT.get(r, 0);
                    if (l > max) {
                        max = l;
                    }
                    if (i % stride == 0) {
                        out[(int) (i / stride)] = l;
                    }
                }
                out[samples] = total;
                out[samples + 1] = max;
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        }, "latency-consumer");
        consumer.start();
        start[0] = System.nanoTime() + 1_000_000;
        ready.countDown();
        long t0 = start[0];
        for (long i = 0; i < total; i++) {
            long due = Double.isInfinite(rate) ? System.nanoTime() : t0 + (long) (i * periodNanos);
            while (System.nanoTime() < due) {
                Thread.onSpinWait();
            }
            byte[] r = new byte[RECORD_BYTES];
            LONG_AT.set(r, 0, due);
            target.send(r);
        }
        consumer.join();
        if (failure.get() != null) {
            throw new IllegalStateException("latency run failed", failure.get());
        }
        return out;
    }
}
