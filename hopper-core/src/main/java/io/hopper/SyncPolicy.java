package io.hopper;

import java.time.Duration;
import java.util.Objects;

/**
 * When records written to queue files are forced from the page cache to the storage device.
 * The page cache survives the death of the process; only a forced record survives a power loss
 * or a kernel crash. Whatever the policy, sealing a queue file, {@link Sender#flush()} and
 * {@link Channel#close()} force it unless the policy is {@link #NONE}; the first force of each
 * queue file also forces the channel directory, so that the file's name is as durable as its
 * records.
 */
public final class SyncPolicy {

    enum Kind { NONE, EVERY, INTERVAL, ALWAYS }

    /** Never force: the operating system writes back when it likes (typically within 30 s). The fastest. */
    public static final SyncPolicy NONE = new SyncPolicy(Kind.NONE, 0, Duration.ZERO);

    /**
     * A send that put its record on disk returns only once the record is forced. Producers that
     * wait at the same time share one force (group commit). With {@link Durability#WRITE_THROUGH}
     * every accepted record survives a power loss; with {@link Durability#MEMORY_FIRST} only the
     * records that went to disk do. A record that went to disk becomes receivable only once it is
     * forced, so the consumer never acts on a record that a power loss could take back; under the
     * other policies the consumer may receive a disk record before it is forced.
     */
    public static final SyncPolicy ALWAYS = new SyncPolicy(Kind.ALWAYS, 0, Duration.ZERO);

    final Kind kind;
    final int records;
    final Duration interval;

    private SyncPolicy(Kind kind, int records, Duration interval) {
        this.kind = kind;
        this.records = records;
        this.interval = interval;
    }

    /**
     * Force after every {@code records} records appended to disk: a power loss loses fewer than that many.
     *
     * @param records how many appended records may wait for a force, at least 1
     * @return the policy
     * @throws IllegalArgumentException if {@code records < 1}
     */
    public static SyncPolicy every(int records) {
        if (records < 1) {
            throw new IllegalArgumentException("SyncPolicy.every(records) needs records >= 1, got " + records);
        }
        return new SyncPolicy(Kind.EVERY, records, Duration.ZERO);
    }

    /**
     * Force at least every {@code interval} while there are unforced records (a background thread
     * per channel does it): a power loss loses at most about that much time's worth of records.
     *
     * @param interval the longest time a record waits for a force, positive
     * @return the policy
     * @throws IllegalArgumentException if {@code interval} is zero or negative
     */
    public static SyncPolicy interval(Duration interval) {
        Objects.requireNonNull(interval, "interval");
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("SyncPolicy.interval(duration) needs a positive duration, got " + interval);
        }
        return new SyncPolicy(Kind.INTERVAL, 0, interval);
    }

    /** Whether anything is ever forced. */
    boolean forces() {
        return kind != Kind.NONE;
    }

    @Override
    public String toString() {
        return switch (kind) {
            case NONE -> "SyncPolicy.NONE";
            case ALWAYS -> "SyncPolicy.ALWAYS";
            case EVERY -> "SyncPolicy.every(" + records + ")";
            case INTERVAL -> "SyncPolicy.interval(" + interval + ")";
        };
    }
}
