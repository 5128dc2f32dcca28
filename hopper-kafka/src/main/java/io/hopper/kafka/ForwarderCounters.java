package io.hopper.kafka;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A forwarder's counters. Writer: the forwarder thread alone; read by {@link #snapshot} on any
 * thread. The counter idiom of hopper-core (docs/DESIGN.md, section 5): plain fields stored with
 * release semantics (a plain store on x86) and read with acquire loads, so each reading is a value
 * the forwarder wrote, without a full fence per record on the forwarder's side; the forwarder
 * reads its own writes plainly. (hopper-kafka sees only core's public API, so it sets up its
 * handles itself rather than through core's internal helper.)
 */
final class ForwarderCounters {
    private static final VarHandle FORWARDED = counter("forwarded");
    private static final VarHandle IN_FLIGHT_RECORDS = counter("inFlightRecords");
    private static final VarHandle IN_FLIGHT_BYTES = counter("inFlightBytes");
    private static final VarHandle LAST_POSITION = counter("lastPosition");
    private static final VarHandle COMMITTED = counter("committed");
    private static final VarHandle COMMITS = counter("commits");
    private static final VarHandle RETRIED = counter("retried");
    private static final VarHandle FAILED = counter("failed");
    private static final VarHandle DEAD_LETTERED = counter("deadLettered");
    private static final VarHandle DROPPED = counter("dropped");
    private static final VarHandle PRODUCER_RESTARTS = counter("producerRestarts");
    private static final VarHandle RETURNED_AT_CLOSE = counter("returnedAtClose");

    /** The handle of one of this class's {@code long} counters (a typo fails at class load). */
    private static VarHandle counter(String field) {
        try {
            return MethodHandles.lookup().findVarHandle(ForwarderCounters.class, field, long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Writer: forwarder (release). Records the broker acknowledged. */
    private long forwarded;
    /** Writer: forwarder (release). The window's size: the window itself is not safe to read from other threads. */
    private long inFlightRecords;
    /** Writer: forwarder (release). Bytes of the records in the window. */
    private long inFlightBytes;
    /** Writer: forwarder (release). The channel's position after the last record taken. */
    private long lastPosition;
    /** Writer: forwarder (release). The last position committed. */
    private long committed;
    /** Writer: forwarder (release). */
    private long commits;
    /** Writer: forwarder (release). */
    private long retried;
    /** Writer: forwarder (release). */
    private long failed;
    /** Writer: forwarder (release). */
    private long deadLettered;
    /** Writer: forwarder (release). */
    private long dropped;
    /** Writer: forwarder (release). */
    private long producerRestarts;
    /** Writer: forwarder (release). */
    private long returnedAtClose;

    ForwarderCounters(long position) {
        this.lastPosition = position;
        this.committed = position;
    }

    void acknowledged() {
        FORWARDED.setRelease(this, forwarded + 1);
    }

    void window(int records) {
        IN_FLIGHT_RECORDS.setRelease(this, (long) records);
    }

    void addInFlightBytes(long delta) {
        IN_FLIGHT_BYTES.setRelease(this, inFlightBytes + delta);
    }

    /** Forwarder thread only (a plain read of its own write). */
    long inFlightBytes() {
        return inFlightBytes;
    }

    void taken(long position) {
        LAST_POSITION.setRelease(this, position);
    }

    /** Forwarder thread only. */
    long lastPosition() {
        return lastPosition;
    }

    void committed(long position) {
        COMMITTED.setRelease(this, position);
        COMMITS.setRelease(this, commits + 1);
    }

    /** Forwarder thread only. */
    long committed() {
        return committed;
    }

    void retried(long n) {
        RETRIED.setRelease(this, retried + n);
    }

    /** A record Kafka refused for good goes to the failure handler. */
    void failed() {
        FAILED.setRelease(this, failed + 1);
    }

    /** The failure handler returned with {@code deadLetteredToo} (or threw an exception: dropped). */
    void disposed(boolean deadLetteredToo) {
        if (deadLetteredToo) {
            DEAD_LETTERED.setRelease(this, deadLettered + 1);
        } else {
            DROPPED.setRelease(this, dropped + 1);
        }
    }

    /** Forwarder thread only. */
    long deadLettered() {
        return deadLettered;
    }

    /** Forwarder thread only. */
    long dropped() {
        return dropped;
    }

    void producerRestarted() {
        PRODUCER_RESTARTS.setRelease(this, producerRestarts + 1);
    }

    void returnedAtClose(long n) {
        RETURNED_AT_CLOSE.setRelease(this, n);
    }

    /** A snapshot for {@code stats()}; any thread. */
    ForwarderStats snapshot(long backlog) {
        return new ForwarderStats((long) FORWARDED.getAcquire(this), (long) IN_FLIGHT_RECORDS.getAcquire(this),
                (long) IN_FLIGHT_BYTES.getAcquire(this), (long) RETRIED.getAcquire(this),
                (long) FAILED.getAcquire(this), (long) DEAD_LETTERED.getAcquire(this), (long) DROPPED.getAcquire(this),
                Math.max(0, (long) LAST_POSITION.getAcquire(this) - (long) COMMITTED.getAcquire(this)),
                (long) COMMITS.getAcquire(this), backlog, (long) PRODUCER_RESTARTS.getAcquire(this),
                (long) RETURNED_AT_CLOSE.getAcquire(this));
    }
}
