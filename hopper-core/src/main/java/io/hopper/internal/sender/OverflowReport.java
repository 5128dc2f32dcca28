package io.hopper.internal.sender;

import io.hopper.internal.concurrent.VarHandles;
import io.hopper.OverflowPolicy;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;
import java.util.function.LongSupplier;

/**
 * The log line for records an overflow policy discarded: at most one per {@link #INTERVAL_NANOS}
 * per channel, saying how many went since the last line and since open, so a storm of drops costs
 * one line every ten seconds and the counts in {@code ChannelStats} stay the exact record.
 */
final class OverflowReport {
    static final long INTERVAL_NANOS = 10_000_000_000L;
    private static final System.Logger LOG = System.getLogger("io.hopper");
    private static final VarHandle NEXT = VarHandles.field(MethodHandles.lookup(), "nextNanos", long.class);

    private final Path directory;
    private final OverflowPolicy policy;
    /** The totals since open; read only when a line goes out (a drop storm must not sum a LongAdder per drop). */
    private final LongSupplier evictedTotal;
    private final LongSupplier droppedTotal;
    /** When the next line may go out. Any producer; the one whose CAS moves it writes the line. */
    private volatile long nextNanos = System.nanoTime() - 1;
    /** Totals in the last line. Written only by the CAS winner, under this object's monitor. */
    private long evictedReported;
    private long droppedReported;

    OverflowReport(Path directory, OverflowPolicy policy, LongSupplier evictedTotal, LongSupplier droppedTotal) {
        this.directory = directory;
        this.policy = policy;
        this.evictedTotal = evictedTotal;
        this.droppedTotal = droppedTotal;
    }

    /** Records were evicted or dropped. Any thread; costs a clock read unless a line is due. */
    void discarded() {
        long now = System.nanoTime();
        long next = nextNanos;
        if (now - next < 0 || !NEXT.compareAndSet(this, next, now + INTERVAL_NANOS)) {
            return;
        }
        long evictedTotal = this.evictedTotal.getAsLong();
        long droppedTotal = this.droppedTotal.getAsLong();
        String line;
        synchronized (this) {
            long evicted = evictedTotal - evictedReported;
            long dropped = droppedTotal - droppedReported;
            evictedReported = Math.max(evictedReported, evictedTotal);
            droppedReported = Math.max(droppedReported, droppedTotal);
            line = "hopper: channel " + directory + " is full (memory and disk); overflow policy " + policy
                    + (evicted > 0 ? " evicted " + evicted + " oldest record(s) from disk" : "")
                    + (evicted > 0 && dropped > 0 ? " and" : "")
                    + (dropped > 0 ? " dropped " + dropped + " new record(s)" : "")
                    + " since the last report (" + evictedTotal + " evicted and " + droppedTotal
                    + " dropped since open; see ChannelStats.recordsEvicted/recordsDropped)";
        }
        LOG.log(System.Logger.Level.WARNING, line);
    }
}
