package io.hopper.internal.segment;

import io.hopper.internal.concurrent.VarHandles;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * What the consumer could not deliver: damaged frames, undecodable records, unreadable file
 * tails and snapshot entries ({@link #frames()}), and the accepted records they cost
 * ({@link #recordsLost()}), with those dropped at close.
 *
 * <p>Writer: the consumer alone (under the front lock, usually inside the file lock), or
 * {@code close} holding the front lock: counters, with release stores and acquire loads
 * ({@link VarHandles}).
 */
public final class DamageLedger {
    /** Guarded: front lock. Writer: consumer (release). Damaged frames, undecodable records and unreadable file tails skipped. */
    private long frames;
    /** Guarded: front lock. Writer: consumer (release). Records accepted but not deliverable: damaged, or dropped at close. */
    private long recordsLost;
    private static final VarHandle FRAMES = VarHandles.field(MethodHandles.lookup(), "frames", long.class);
    private static final VarHandle RECORDS_LOST = VarHandles.field(MethodHandles.lookup(), "recordsLost", long.class);

    /** One piece of damage met; the records it costs are counted with {@link #lost}. */
    void frame() {
        FRAMES.setRelease(this, frames + 1);
    }

    /** Records lost: to damage, or without it (e.g. one whose serializer failed at close). */
    void lost(long n) {
        RECORDS_LOST.setRelease(this, recordsLost + n);
    }

    /** {@return damaged frames, undecodable records and unreadable tails skipped since open} */
    public long frames() {
        return (long) FRAMES.getAcquire(this);
    }

    /** {@return accepted records that cannot be delivered, since open} */
    public long recordsLost() {
        return (long) RECORDS_LOST.getAcquire(this);
    }
}
