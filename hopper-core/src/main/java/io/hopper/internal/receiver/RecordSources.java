package io.hopper.internal.receiver;

import java.lang.invoke.VarHandle;
import java.lang.invoke.MethodHandles;
import io.hopper.internal.concurrent.VarHandles;
import io.hopper.CorruptDataException;
import io.hopper.internal.codec.RecordCodec;
import io.hopper.internal.placement.DiskRun;
import io.hopper.internal.ring.RingDeque;
import io.hopper.internal.segment.SegmentCursor;
import io.hopper.internal.sender.SenderState;

import java.nio.file.Path;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * Where the consumer's next record comes from, in the one global order: first the disk stream
 * while records are announced ({@code cursor.readIndex() < limit}); then the memory snapshot a
 * graceful close left; then the ring, where a {@link DiskRun} marker raises the limit; and when
 * the ring is empty, disk records whose marker could not be pushed, claimed under the back lock
 * (an empty ring means nothing in memory precedes them).
 *
 * <p>Lock: the consumer's, the front lock, for every method; {@link #claimUnannouncedDiskRecords}
 * takes the back lock inside it (order front, then back), the cursor takes the file lock inside
 * it (front, then file).
 */
final class RecordSources<T> {
    private final RingDeque<SenderState> ring;
    private final SenderState senderState;
    private final SegmentCursor cursor;
    private final RecordCodec<T> codec;
    private final RecordCodec.DecodeScratch scratch;
    private final SnapshotReplay<T> snapshot;
    private final PositionStore positions;
    private final Path directory;
    private final boolean manual;
    /**
     * Disk records below this index may be delivered: {@code Long.MAX_VALUE}, or under
     * {@code SyncPolicy.ALWAYS} the forced index, so the consumer never sees a record that a power
     * cut could take back. Whoever raises it wakes a parked consumer.
     */
    private final LongSupplier readable;
    /** Guarded: front lock. Decodes disk records ahead of the consumer; null when off. Set before the channel is published. */
    private ReadAhead<T> readAhead;

    /** Guarded: front lock. Disk records below this index are announced to the receiver. */
    long limit;
    /**
     * Guarded: front lock. AUTO: the read index when the current receiver call began: every record
     * below it has been returned to the caller, so automatic stores may count it consumed (never
     * the record a call is about to return: the process may die first).
     */
    long handedOver;
    /** Guarded: front lock. Writer: consumer (release). Markers taken from the ring. */
    private long markersPopped;
    private static final VarHandle MARKERS_POPPED = VarHandles.field(MethodHandles.lookup(), "markersPopped", long.class);
    /**
     * Guarded: front lock. The last {@code next(false)} left its disk record located in the
     * cursor, decoded but not consumed: the read position stays before it until
     * {@link #consumedDisk()}, so a commit or a close in between does not count it as consumed.
     */
    boolean locatedOnDisk;
    /**
     * Guarded: front lock. The last {@code next(false)} left its ring record in its slot: it keeps
     * its bytes in the memory budget until it is polled.
     */
    boolean leftInRing;

    RecordSources(RingDeque<SenderState> ring, SegmentCursor cursor, RecordCodec<T> codec,
                  RecordCodec.DecodeScratch scratch, SnapshotReplay<T> snapshot, PositionStore positions,
                  Path directory, boolean manual, LongSupplier readable, long limit) {
        this.ring = ring;
        this.senderState = ring.backState();
        this.cursor = cursor;
        this.codec = codec;
        this.scratch = scratch;
        this.snapshot = snapshot;
        this.positions = positions;
        this.directory = directory;
        this.manual = manual;
        this.readable = readable;
        this.limit = limit;
        this.handedOver = cursor.readIndex();
    }

    /** Whether anything is waiting in a source (for the consumer's wake-up cascade). Front lock held. */
    boolean anyWaiting() {
        return ring.size() > 0 || cursor.readIndex() < limit || snapshot.active();
    }

    /** Markers taken from the ring (volatile load). */
    long markersPopped() {
        return (long) MARKERS_POPPED.getAcquire(this);
    }

    /** Stops read-ahead's helper thread. Close, front lock held. */
    void closeReadAhead() {
        if (readAhead != null) {
            readAhead.close();
        }
    }

    /**
     * AUTO, at the start of a receiver call: what earlier calls returned is handed over; read
     * files it passes are deleted (their position stored first). Front lock held.
     */
    void settle() {
        if (manual) {
            return;
        }
        long read = cursor.readIndex();
        if (read == handedOver && !snapshot.unsettled()) {
            // Nothing was read from disk or the snapshot since the last settle (the memory tier's
            // records need no release): skip the file lock and the volatile store on the hot path.
            // The cursor's released position moved with handedOver, so it has nothing to release.
            return;
        }
        handedOver = read;
        snapshot.settle();
        if (cursor.settle()) {
            ring.signalAllProducers();
        }
    }

    /**
     * The next record from whichever source holds it, or {@code null} if none is available. Front
     * lock held, nothing peeked.
     *
     * @param consume whether the record is taken; if not, a disk record is left located
     *                ({@link #locatedOnDisk}) and a ring record in its slot ({@link #leftInRing})
     */
    @SuppressWarnings("unchecked")
    T next(boolean consume) {
        for (;;) {
            long at = cursor.readIndex(); // an eviction may move it at any time; locate re-checks
            if (at < limit) {
                if (at >= readable.getAsLong()) {
                    // Announced, but not forced yet: it and everything after it wait. The force's
                    // thread wakes us; announceParking/re-check in poll covers the race.
                    return null;
                }
                T t = readDisk(consume, at);
                if (t != null) {
                    return t;
                }
                continue;
            }
            if (snapshot.active()) {
                T t = snapshot.step();
                limit = Math.max(limit, snapshot.limitSeen());
                if (!snapshot.active()) {
                    // Replayed: the cursor file's snapshot size is stale now, so write it at once.
                    // MANUAL keeps the committed position (a store never moves it back, so
                    // MIN_VALUE means "as it is").
                    positions.storeQuietly(manual ? Long.MIN_VALUE : handedOver, true, true);
                }
                if (t != null) {
                    return t;
                }
                continue;
            }
            Object o = consume ? ring.pollFront() : ring.peekFront();
            if (o != null) {
                if (o instanceof DiskRun run) {
                    if (!consume) {
                        ring.pollFront(); // a marker is no record: a peek takes it like a receive
                    }
                    ring.signalNotFull();
                    MARKERS_POPPED.setRelease(this, markersPopped + 1);
                    if (run.end() > limit) {
                        limit = run.end();
                    }
                    continue;
                }
                if (consume) {
                    ring.signalNotFull();
                } else {
                    leftInRing = true;
                }
                return (T) o;
            }
            if (!claimUnannouncedDiskRecords()) {
                // Nothing to deliver, so this call hands nothing over: every record read so far
                // was returned by an earlier call (or skipped as damage, like a whole file whose
                // header is gone), and may be released now rather than at the next call, which
                // could be a long park away. A file the writer sealed after we read its last
                // record is released here too; a producer waiting for a file nudges us awake for this.
                settle();
                if (cursor.releaseDrainedFiles()) {
                    ring.signalAllProducers();
                }
                return null;
            }
        }
    }


    /** The disk record at {@code at}, or null when none was located (the caller looks again). */
    private T readDisk(boolean consume, long at) {
        int located = cursor.locate(at);
        if (located == SegmentCursor.NO_FILE) {
            cursor.writeOffMissing(limit); // announced, but their files are gone
            return null;
        }
        if (located != SegmentCursor.LOCATED) {
            // A finished file was deleted or damage was skipped: disk room may have appeared.
            ring.signalAllProducers();
            return null;
        }
        T value;
        if (readAhead != null && cursor.locatedPrefetched()) {
            value = readAhead.take();
        } else {
            try {
                value = codec.decode(cursor.window(), cursor.payloadOffset(), cursor.payloadLength(),
                        cursor.codec(), scratch);
            } catch (CorruptDataException e) {
                cursor.undecodable(e);
                return null;
            }
        }
        if (consume) {
            consumedDisk();
        } else {
            locatedOnDisk = true;
        }
        return value;
    }

    /** The located disk record was received. Front lock held. */
    void consumedDisk() {
        if (cursor.consumedAndReleased()) { // one hold of the file lock per record for both
            ring.signalAllProducers();
        }
        if (!manual) {
            autoCommit();
        }
    }

    /**
     * The ring is empty: announce to ourselves any disk records whose marker never made it into
     * the ring. A volatile read rules the common case out without the back lock.
     */
    private boolean claimUnannouncedDiskRecords() {
        if (senderState.appender().nextIndex() <= limit) {
            return false;
        }
        ReentrantLock back = ring.backLock();
        back.lock(); // lock order: front, then back
        try {
            if (ring.size() != 0) {
                return true; // a producer pushed meanwhile; what it pushed comes first
            }
            long claimed = senderState.claimAll();
            if (claimed <= limit) {
                return false;
            }
            limit = claimed;
            ring.signalNotFullLocked(); // producers can use memory again
            return true;
        } finally {
            back.unlock();
        }
    }

    /** AUTO: commits at most once per {@link #AUTO_COMMIT_NANOS} while records are read from disk. Front lock held. */
    private void autoCommit() {
        if (positions.autoCommitDue()) {
            positions.storeQuietly(handedOver, true, false);
        }
    }

    /**
     * Turns on decoding disk records ahead of the consumer on a helper thread ({@link ReadAhead}).
     * Called before the channel is published.
     */
    void readAhead(long fileBytes) {
        readAhead = new ReadAhead<>(codec, directory, fileBytes);
        cursor.prefetcher(readAhead);
    }

    /** Disk records whose value was decoded ahead (0 when read-ahead is off). Front lock held. */
    long readAheadHits() {
        return readAhead == null ? 0 : readAhead.hits();
    }
}
