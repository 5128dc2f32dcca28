package io.hopper.bench;

import org.HdrHistogram.Histogram;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Send-to-receive latency at fixed offered rates.
 *
 * <p>One producer sends a 64-byte record every {@code 1/rate} seconds on a fixed schedule; the
 * record carries its <em>scheduled</em> send time, and the consumer measures from that time to
 * the moment it has the record. Measuring from the schedule rather than from the actual send
 * counts a stalled producer's backlog against the queue: a record that could not even be sent on
 * time is charged for the wait, as the users whose requests it stands for would be. That is the
 * coordinated-omission correction (Gil Tene's), applied at the source rather than afterwards by
 * {@code recordValueWithExpectedInterval}. Every record is counted in an HdrHistogram
 * ({@link Histogram}, 3 significant digits, up to a minute).
 *
 * <p><b>No garbage.</b> The records come from a pool of {@value #POOL} arrays reused in turn, and
 * the histogram allocates nothing once made, so the harness itself causes no collections: a young pause
 * would charge its length, and the backlog it leaves, to thousands of records, and which queue's
 * row caught the pauses would decide the comparison. A record carries its sequence number, and
 * the consumer checks it, so a reused array can never be timed twice; the producer reuses an array
 * only after the consumer has published that it took the record last sent in it.
 *
 * <p><b>Interleaved rows.</b> {@link #interleaved} times each queue in several short rounds,
 * alternating which goes first, and merges each queue's rounds, so a slow phase of the machine
 * (another process, a compilation, a page-cache flush) is spread over both queues.
 */
final class Latency {
    private Latency() {
    }

    static final int RECORD_BYTES = 64;
    /** Records the pool holds: a backlog of this many (131 ms at 1 M records/s) makes the producer wait, late and counted. */
    static final int POOL = 1 << 17;
    /**
     * Every timed row starts with this much uncounted traffic. The first milliseconds of a row
     * are a transient that belongs to neither queue: a consumer thread just started, the row's
     * loops entering compiled code. Measured with the rows starting cold, records of the first
     * 10 ms of a row waited up to 11 ms, through either queue.
     */
    static final double LEAD_IN_SECONDS = 0.1;
    /** Rounds per queue in the quick comparison. */
    static final int ROUNDS = 6;
    private static final VarHandle LONG_AT = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    /**
     * Percentiles in nanoseconds, over all rounds, and each round's p99 on its own (in the order
     * the rounds ran), so a comparison can be made round by round.
     */
    record Result(String queue, double offeredPerSec, long records, long p50, long p99, long p999, long max,
                  List<Long> roundP99) {
        Result {
            roundP99 = List.copyOf(roundP99);
        }

        static Result of(String queue, double rate, Histogram h, List<Long> roundP99) {
            return new Result(queue, rate, h.getTotalCount(), h.getValueAtPercentile(50), h.getValueAtPercentile(99),
                    h.getValueAtPercentile(99.9), h.getMaxValue(), roundP99);
        }
    }

    /** The largest latency a histogram tracks: a minute, in nanoseconds. */
    private static final long HIGHEST_NANOS = 60_000_000_000L;

    /** A histogram for one queue's records: 3 significant digits, nanoseconds up to a minute. */
    static Histogram histogram() {
        return new Histogram(HIGHEST_NANOS, 3);
    }

    /** A queue under test, by name. */
    record Queue(String name, Transfer.Target target) {
    }

    /**
     * The records the producer sends, reused in turn. Only one measurement runs at a time and it
     * ends with every record received, so measurements can share them. Index i's array is written
     * by the producer before its send and read by the consumer after its receive (the queue's
     * hand-off orders the two); the producer writes it again only after it has seen the consumer's
     * release of {@code taken} for it.
     */
    private static final byte[][] RECORDS = new byte[POOL][RECORD_BYTES];

    /** Sends {@code rate} records per second for {@code seconds} (after a {@code warmupSeconds} run that is not counted). */
    static Result run(String name, Transfer.Target target, double rate, double seconds, double warmupSeconds)
            throws Exception {
        return interleaved(List.of(new Queue(name, target)), rate, seconds, warmupSeconds, 1).get(0);
    }

    /**
     * Times every queue at {@code rate} for {@code seconds} in all, as {@code rounds} rounds of
     * {@code seconds / rounds} each. Round r runs the queues in the given order when r is even and
     * in reverse when it is odd. Each queue gets one untimed run of {@code warmupSeconds} first.
     *
     * @return one result per queue, in the given order, over all its rounds
     */
    static List<Result> interleaved(List<Queue> queues, double rate, double seconds, double warmupSeconds,
                                    int rounds) throws Exception {
        return interleaved(queues, rate, seconds, warmupSeconds, rounds, (q, r) -> { });
    }

    /** Told before each timed row. */
    interface Progress {
        void row(Queue queue, int round);
    }

    static List<Result> interleaved(List<Queue> queues, double rate, double seconds, double warmupSeconds,
                                    int rounds, Progress progress) throws Exception {
        if (rounds < 1) {
            throw new IllegalArgumentException("rounds must be >= 1: " + rounds);
        }
        Histogram scratch = histogram();
        for (Queue q : queues) {
            measure(q.target(), rate, count(rate, warmupSeconds), scratch);
        }
        List<Histogram> merged = new ArrayList<>();
        List<List<Long>> roundP99 = new ArrayList<>();
        for (int i = 0; i < queues.size(); i++) {
            merged.add(histogram());
            roundP99.add(new ArrayList<>());
        }
        long perRound = count(rate, seconds / rounds);
        long leadIn = count(rate, LEAD_IN_SECONDS);
        for (int r = 0; r < rounds; r++) {
            for (int k = 0; k < queues.size(); k++) {
                int i = r % 2 == 0 ? k : queues.size() - 1 - k;
                progress.row(queues.get(i), r);
                scratch.reset();
                measure(queues.get(i).target(), rate, leadIn, perRound, scratch);
                merged.get(i).add(scratch);
                roundP99.get(i).add(scratch.getValueAtPercentile(99));
            }
        }
        List<Result> results = new ArrayList<>();
        for (int i = 0; i < queues.size(); i++) {
            results.add(Result.of(queues.get(i).name(), rate, merged.get(i), roundP99.get(i)));
        }
        return results;
    }

    private static long count(double rate, double seconds) {
        return Math.max(1, Math.round(rate * seconds));
    }

    /**
     * The highest rate this harness's producer reaches through {@code target}: the same
     * time-stamped records, sent without pacing. Half of it is a load the queue and the producer
     * can both sustain, so latency is measured below saturation rather than on a growing backlog.
     * One warm-up run, then the median of {@code runs} timed ones: single runs here spread from
     * 1.5 to 4.9 M records/s, and an offered rate taken from a high one lands near what the
     * queues sustain when paced, where every row becomes one growing backlog.
     */
    static double saturatedRate(Transfer.Target target, long records, int runs) throws Exception {
        Histogram h = histogram();
        measure(target, Double.POSITIVE_INFINITY, records, h); // warm-up
        double[] rates = new double[runs];
        for (int i = 0; i < runs; i++) {
            long t0 = System.nanoTime();
            measure(target, Double.POSITIVE_INFINITY, records, h);
            rates[i] = records / ((System.nanoTime() - t0) / 1e9);
        }
        java.util.Arrays.sort(rates);
        return rates[runs / 2];
    }

    static double saturatedRate(Transfer.Target target, long records) throws Exception {
        return saturatedRate(target, records, 1);
    }

    /** Sends {@code total} records at {@code rate} (unpaced when infinite) and counts each one's latency in {@code into}. */
    private static void measure(Transfer.Target target, double rate, long total, Histogram into)
            throws Exception {
        measure(target, rate, 0, total, into);
    }

    /**
     * As {@link #measure(Transfer.Target, double, long, Histogram)}, after a lead-in of
     * {@code leadIn} records sent on the same schedule by the same threads but not counted.
     */
    private static void measure(Transfer.Target target, double rate, long leadIn, long counted,
                                Histogram into) throws Exception {
        long total = leadIn + counted;
        // Records the consumer has finished with: written (release) only by the consumer, read
        // (acquire) by the producer before it reuses an array.
        AtomicLong taken = new AtomicLong();
        double periodNanos = 1e9 / rate;
        CountDownLatch ready = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread producer = Thread.currentThread();
        // `into` is written only by the consumer thread; the caller reads it after
        // consumer.join(), which orders every write before the read.
        Thread consumer = new Thread(() -> {
            try {
                ready.await();
                for (long i = 0; i < total; i++) {
                    byte[] r = target.receive();
                    long now = System.nanoTime();
                    long seq = (long) LONG_AT.get(r, 8);
                    if (seq != i) {
                        throw new IllegalStateException("record " + i + " arrived as " + seq);
                    }
                    if (i >= leadIn) {
                        into.recordValue(Math.min(HIGHEST_NANOS, Math.max(0, now - (long) LONG_AT.get(r, 0))));
                    }
                    taken.setRelease(i + 1);
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
                producer.interrupt(); // it may be blocked in a send that no one will make room for
            }
        }, "latency-consumer");
        consumer.start();
        long t0 = System.nanoTime() + 1_000_000;
        ready.countDown();
        long known = 0; // the last value of `taken` this thread read
        try {
            send:
            for (long i = 0; i < total && failure.get() == null; i++) {
                long due = Double.isInfinite(rate) ? System.nanoTime() : t0 + (long) (i * periodNanos);
                while (System.nanoTime() < due) {
                    Thread.onSpinWait();
                }
                while (i - known >= POOL) { // record i - POOL still in flight: its array is not ours yet
                    known = taken.getAcquire();
                    if (i - known >= POOL) {
                        if (failure.get() != null) {
                            break send;
                        }
                        Thread.onSpinWait();
                    }
                }
                byte[] r = RECORDS[(int) (i & (POOL - 1))];
                LONG_AT.set(r, 0, due);
                LONG_AT.set(r, 8, i);
                target.send(r);
            }
        } catch (InterruptedException e) {
            if (failure.get() == null) {
                throw e;
            }
        }
        for (;;) {
            try {
                consumer.join();
                break;
            } catch (InterruptedException e) {
                if (failure.get() == null) {
                    throw e;
                } // else the failing consumer's interrupt: it is ending, wait for it
            }
        }
        if (failure.get() != null) {
            Thread.interrupted(); // the consumer's interrupt, if it arrived after the last wait
            throw new IllegalStateException("latency run failed", failure.get());
        }
    }
}
