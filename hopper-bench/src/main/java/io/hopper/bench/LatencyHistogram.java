package io.hopper.bench;

import java.util.Arrays;

/**
 * Counts non-negative nanosecond values in log-linear buckets: every value below 128 has its own
 * bucket, and above that each power of two is split into 128 buckets, so a bucket is at most
 * 1/128 (0.8 %) of its values wide. Recording allocates nothing, so a latency harness can time
 * every record without making the garbage whose collection it would then measure.
 *
 * <p>Not thread-safe: one thread records; others read after a happens-before edge (a join).
 */
final class LatencyHistogram {
    /** Bits of a value kept below its leading one: 2^7 = 128 buckets per power of two. */
    private static final int SUB_BITS = 7;
    private static final int SUB = 1 << SUB_BITS;
    /** Values up to 2^63 - 1: exponents 7..62 above the 128 exact buckets. */
    private static final int BUCKETS = (63 - SUB_BITS + 1) * SUB;

    private final long[] counts = new long[BUCKETS];
    private long total;
    private long max;

    void record(long value) {
        if (value < 0) {
            throw new IllegalArgumentException("negative value " + value);
        }
        counts[index(value)]++;
        total++;
        if (value > max) {
            max = value;
        }
    }

    /** Adds every count of {@code other} to this one. */
    void add(LatencyHistogram other) {
        for (int i = 0; i < BUCKETS; i++) {
            counts[i] += other.counts[i];
        }
        total += other.total;
        max = Math.max(max, other.max);
    }

    void reset() {
        Arrays.fill(counts, 0);
        total = 0;
        max = 0;
    }

    long count() {
        return total;
    }

    /** The largest value recorded, exactly. */
    long max() {
        return max;
    }

    /**
     * The value at quantile {@code q} (in (0, 1]): the highest value the bucket holding the
     * {@code ceil(q * count)}-th smallest value can contain, capped at {@link #max()}. It is never
     * below the exact quantile and at most 1/128 of it above. 0 when nothing was recorded.
     */
    long valueAt(double q) {
        if (!(q > 0 && q <= 1)) {
            throw new IllegalArgumentException("quantile must be in (0, 1]: " + q);
        }
        if (total == 0) {
            return 0;
        }
        long rank = Math.max(1, (long) Math.ceil(q * total));
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += counts[i];
            if (seen >= rank) {
                return Math.min(max, highestIn(i));
            }
        }
        return max; // unreachable: the counts sum to total
    }

    static int index(long value) {
        if (value < SUB) {
            return (int) value;
        }
        int exp = 63 - Long.numberOfLeadingZeros(value); // >= SUB_BITS
        int shift = exp - SUB_BITS;
        int mantissa = (int) (value >>> shift) & (SUB - 1);
        return (shift + 1) * SUB + mantissa;
    }

    /** The highest value that {@link #index} maps to bucket {@code i}. */
    static long highestIn(int i) {
        if (i < SUB) {
            return i;
        }
        int shift = i / SUB - 1;
        long lowest = (long) (SUB + i % SUB) << shift;
        return lowest + (1L << shift) - 1;
    }
}
