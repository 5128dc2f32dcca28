package io.hopper.internal.sender;

import io.hopper.internal.concurrent.VarHandles;
import io.hopper.internal.segment.SegmentAppender;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.LongAdder;

/**
 * The producers' shared state, carried by the ring and guarded by its back lock.
 *
 * <p>The sender is in <em>memory mode</em> when every record on disk has been announced to the
 * receiver ({@code announced == appender.nextIndex()}), and in <em>disk mode</em> otherwise: then
 * a record may enter the ring only behind a {@code DiskRun} marker that announces the disk records
 * before it.
 */
public final class SenderState {
    /** Writes the disk stream. Back lock. */
    final SegmentAppender appender;
    /** Disk records before this index have been announced (marker pushed, or claimed by the receiver). Back lock. */
    long announced;
    /** Producers see {@link io.hopper.ChannelClosedException} once set. Written under the back lock; volatile for lock-free reads. */
    volatile boolean closed;
    /** Hint read without the lock: the last placement went to disk, so encode before locking. Written under the back lock. */
    volatile boolean diskModeHint;
    /** Guarded: back lock. Writer: producers (release; counter idiom, {@link VarHandles}). Records written to disk. */
    private long spilled;
    /** Guarded: back lock. Writer: producers (release). Markers pushed into the ring. */
    private long markersPushed;
    /**
     * Records a drop policy refused since open. Counted by producers after they release the back
     * lock, so contended: a {@link LongAdder}, whose sum is exact once the producers are quiet.
     */
    private final LongAdder dropped = new LongAdder();
    /**
     * Guarded: back lock. Writer: producers (release). Records accepted since open, recovered ones
     * included; read with acquire loads by {@code size()}.
     */
    private long accepted;
    private static final VarHandle ACCEPTED = VarHandles.field(MethodHandles.lookup(), "accepted", long.class);
    private static final VarHandle SPILLED = VarHandles.field(MethodHandles.lookup(), "spilled", long.class);
    private static final VarHandle MARKERS_PUSHED = VarHandles.field(MethodHandles.lookup(), "markersPushed", long.class);

    /**
     * @param appender  writes the disk stream
     * @param recovered records an earlier run left to deliver (on disk and in the memory snapshot)
     */
    public SenderState(SegmentAppender appender, long recovered) {
        this.appender = appender;
        this.announced = appender.nextIndex();
        this.accepted = recovered;
    }

    /** One more record accepted. Back lock held: one writer, so a release store is enough. */
    void countAccepted() {
        ACCEPTED.setRelease(this, accepted + 1);
    }

    /** {@code n} more records accepted. Back lock held. */
    void countAccepted(int n) {
        ACCEPTED.setRelease(this, accepted + n);
    }

    /** One record written to disk. Back lock held. */
    void countSpilled() {
        SPILLED.setRelease(this, spilled + 1);
    }

    /** One marker pushed into the ring. Back lock held. */
    void countMarkerPushed() {
        MARKERS_PUSHED.setRelease(this, markersPushed + 1);
    }

    /** Clears the disk-mode hint, writing the volatile only when it changes (a store per send cost up to 1.6x in memory). Back lock. */
    void memoryMode() {
        if (diskModeHint) {
            diskModeHint = false;
        }
    }

    /** Records accepted since open, recovered ones included (acquire load). */
    public long accepted() {
        return (long) ACCEPTED.getAcquire(this);
    }

    public SegmentAppender appender() {
        return appender;
    }

    /**
     * Announces every record on disk to the receiver, which found the ring empty under the back
     * lock: nothing in memory precedes them, and anything pushed later follows them.
     * Caller holds the back lock.
     *
     * @return the index up to which the receiver may now read the disk stream
     */
    public long claimAll() {
        long next = appender.nextIndex();
        announced = next;
        memoryMode();
        return next;
    }

    public boolean closed() {
        return closed;
    }

    /** Caller holds the back lock. */
    public void markClosed() {
        closed = true;
    }

    /** One record dropped by the overflow policy. Any thread. */
    void countDropped() {
        dropped.increment();
    }

    /** Records the overflow policy dropped since open. */
    public long dropped() {
        return dropped.sum();
    }

    public long spilled() {
        return (long) SPILLED.getAcquire(this);
    }

    public long markersPushed() {
        return (long) MARKERS_PUSHED.getAcquire(this);
    }
}
