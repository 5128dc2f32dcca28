package io.hopper.bench;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Scale;
import net.jqwik.api.constraints.Size;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LatencyHistogramProperties {

    @Property
    void everyValueLandsInABucketThatHoldsIt(@ForAll @LongRange(min = 0, max = Long.MAX_VALUE) long v) {
        int i = LatencyHistogram.index(v);
        assertTrue(v <= LatencyHistogram.highestIn(i), () -> v + " above its bucket " + i);
        assertTrue(i == 0 || LatencyHistogram.highestIn(i - 1) < v, () -> v + " also fits bucket " + (i - 1));
    }

    @Property
    void quantilesAreNeverBelowTheExactOneAndAtMostOneBucketAbove(
            @ForAll @Size(min = 1, max = 400) List<@LongRange(min = 0, max = 50_000_000_000L) Long> values,
            @ForAll @DoubleRange(min = 0.001, max = 1.0) @Scale(4) double q) {
        LatencyHistogram h = new LatencyHistogram();
        values.forEach(h::record);
        long[] sorted = values.stream().mapToLong(Long::longValue).sorted().toArray();
        long exact = sorted[(int) Math.max(0, Math.ceil(q * sorted.length) - 1)];
        long got = h.valueAt(q);
        assertTrue(got >= exact, () -> "q=" + q + ": " + got + " < exact " + exact);
        assertTrue(got <= exact + exact / 128, () -> "q=" + q + ": " + got + " more than 1/128 above " + exact);
        assertEquals(sorted[sorted.length - 1], h.max());
        assertEquals(sorted[sorted.length - 1], h.valueAt(1.0));
        assertEquals(values.size(), h.count());
    }

    @Property
    void mergingIsRecordingBoth(@ForAll @Size(max = 200) List<@LongRange(min = 0, max = 1L << 40) Long> a,
                                @ForAll @Size(max = 200) List<@LongRange(min = 0, max = 1L << 40) Long> b,
                                @ForAll @DoubleRange(min = 0.001, max = 1.0) @Scale(4) double q) {
        LatencyHistogram ha = new LatencyHistogram();
        LatencyHistogram hb = new LatencyHistogram();
        LatencyHistogram both = new LatencyHistogram();
        a.forEach(ha::record);
        b.forEach(hb::record);
        a.forEach(both::record);
        b.forEach(both::record);
        ha.add(hb);
        assertEquals(both.count(), ha.count());
        assertEquals(both.max(), ha.max());
        assertEquals(both.valueAt(q), ha.valueAt(q));
        ha.reset();
        assertEquals(0, ha.count());
        assertEquals(0, ha.valueAt(q));
    }
}
