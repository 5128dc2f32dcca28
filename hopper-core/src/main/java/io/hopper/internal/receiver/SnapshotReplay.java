package io.hopper.internal.receiver;

import io.hopper.CorruptDataException;
import io.hopper.StorageException;
import io.hopper.internal.codec.EncodedRecord;
import io.hopper.internal.codec.RecordCodec;
import io.hopper.internal.placement.DiskRun;
import io.hopper.internal.recovery.SnapshotFile;
import io.hopper.internal.segment.SegmentCursor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The memory tier across a graceful close: replays the {@code snapshot.hop} a close left, before
 * the ring, and writes the new one at close. Its progress goes into the cursor file with the read
 * position ({@link #records()}, {@link #consumedForStore}, {@link #generation()}), so a reopen
 * never replays a delivered record.
 *
 * <p>Lock: the consumer's calls run under the front lock. The progress fields are volatile because
 * a store of the read position on a producer's thread (releasing or evicting a file, under the
 * file lock alone) reads them; only the consumer writes them.
 */
final class SnapshotReplay<T> {
    private static final System.Logger LOG = System.getLogger("io.hopper");

    private final RecordCodec<T> codec;
    private final RecordCodec.DecodeScratch scratch;
    private final SegmentCursor cursor;
    private final Path directory;

    /** Guarded: front lock. The snapshot being replayed; null when none or replayed. */
    private SnapshotFile.Reader reader;
    /** Guarded: front lock. The highest disk index a replayed marker announced (0: none yet). */
    private long limitSeen;
    /** Writer: consumer, front lock (volatile, for stats). Records not yet replayed. */
    private volatile long pending;
    /** Writer: consumer, front lock (volatile, read by stores under the file lock). Records of the live snapshot (0 once replayed). */
    private volatile long records;
    /**
     * Writer: consumer, front lock (volatile, read by stores under the file lock). Records of the
     * live snapshot delivered, or skipped at open as delivered before a commit.
     */
    private volatile long delivered;
    /**
     * Writer: consumer, front lock (volatile, read by stores under the file lock). AUTO: {@link #delivered}
     * when the current receiver call began; every record below it was returned to the caller.
     */
    private volatile long handedOver;
    /** Writer: consumer, front lock (volatile, read by stores under the file lock). Generation of the live snapshot (0: none, or version 1). */
    private volatile long generation;

    SnapshotReplay(RecordCodec<T> codec, RecordCodec.DecodeScratch scratch, SegmentCursor cursor, Path directory,
                   SnapshotFile.Reader reader) {
        this.codec = codec;
        this.scratch = scratch;
        this.cursor = cursor;
        this.directory = directory;
        this.reader = reader;
        this.pending = reader == null ? 0 : reader.recordCount();
        this.records = reader == null ? 0 : reader.recordCount();
        this.generation = reader == null ? 0 : reader.generation();
    }

    /** Whether records (or markers) of a snapshot remain to be replayed. Front lock held. */
    boolean active() {
        return reader != null;
    }

    /** Records still waiting in {@code snapshot.hop} (volatile load). */
    long pending() {
        return pending;
    }

    /** The highest disk index a replayed marker announced: the receiver's limit is at least this. Front lock held. */
    long limitSeen() {
        return limitSeen;
    }

    /** Records of the live snapshot, as the cursor file must say (volatile load). */
    long records() {
        return records;
    }

    /** Generation of the live snapshot for the cursor file (volatile loads). */
    long generation() {
        return records == 0 ? 0 : generation;
    }

    /**
     * Snapshot records the cursor file counts as consumed: MANUAL, every delivered one (memory-tier
     * records are delivered once, never again after a commit that followed them); AUTO, those
     * handed over. Volatile loads.
     */
    long consumedForStore(boolean manual) {
        return records == 0 ? 0 : manual ? delivered : handedOver;
    }

    /** AUTO, at the start of a receiver call: whether records were replayed since the last {@link #settle()}. */
    boolean unsettled() {
        return delivered != handedOver;
    }

    /** AUTO, at the start of a receiver call: what earlier calls returned is handed over. Front lock held. */
    void settle() {
        handedOver = delivered;
    }

    /**
     * The cursor file says the first {@code consumed} records of the live snapshot were delivered
     * before its last store: skip them (markers among them still raise {@link #limitSeen()}, so the
     * disk records they announced keep their place). Before first use.
     *
     * @return the records skipped
     */
    long resume(long consumed) throws IOException {
        long skipped = 0;
        while (reader != null && skipped < consumed) {
            SnapshotFile.Reader.Kind kind = reader.next();
            if (kind == SnapshotFile.Reader.Kind.END) {
                break;
            }
            if (kind == SnapshotFile.Reader.Kind.MARKER) {
                limitSeen = Math.max(limitSeen, reader.markerEnd());
            } else if (kind == SnapshotFile.Reader.Kind.RECORD || kind == SnapshotFile.Reader.Kind.DAMAGED) {
                skipped++;
            }
        }
        delivered = skipped;
        handedOver = skipped;
        if (reader != null) {
            pending = reader.recordsUnaccounted();
        }
        return skipped;
    }

    /**
     * The cursor file says a snapshot of {@code lost} records was left, but none could be opened
     * (deleted, or unreadable and set aside): count them as lost. Before first use.
     */
    void missing(long lost) {
        if (lost > 0) {
            cursor.countDamage(lost);
            LOG.log(System.Logger.Level.WARNING, "hopper: the memory snapshot of " + lost + " record(s) in "
                    + directory + " is missing or unreadable; counted as lost");
        }
    }

    /**
     * One step through the snapshot: a record is returned; a marker raises {@link #limitSeen()};
     * damage is counted; at the end the file is deleted and {@link #active()} turns false (the
     * caller then rewrites the cursor file, whose snapshot size is stale). Front lock held, active.
     *
     * @return the record, or null when the caller should look again
     */
    T step() {
        try {
            SnapshotFile.Reader.Kind kind = reader.next();
            pending = reader.recordsUnaccounted();
            switch (kind) {
                case RECORD:
                    delivered++;
                    try {
                        return codec.decode(reader.payload(), reader.payloadOffset(), reader.payloadLength(),
                                reader.codec(), scratch);
                    } catch (CorruptDataException e) {
                        cursor.countDamage(1);
                        LOG.log(System.Logger.Level.WARNING, "hopper: record " + (delivered - 1)
                                + " of the memory snapshot in " + directory + " does not decode ("
                                + e.getMessage() + "); skipping it");
                        return null;
                    }
                case MARKER:
                    limitSeen = Math.max(limitSeen, reader.markerEnd());
                    return null;
                case DAMAGED:
                    delivered++;
                    cursor.countDamage(1);
                    return null;
                case DAMAGED_MARKER:
                    cursor.countDamage(0);
                    return null;
                default:
                    if (reader.recordsUnaccounted() > 0) {
                        cursor.countDamage(reader.recordsUnaccounted());
                    }
                    reader.finish();
                    reader = null;
                    pending = 0;
                    records = 0;
                    delivered = 0;
                    handedOver = 0;
                    generation = 0;
                    return null;
            }
        } catch (IOException e) {
            throw new StorageException("cannot read the memory snapshot in " + directory, e);
        }
    }

    /**
     * Writes the memory tier as the new snapshot, in delivery order: the header carries the disk
     * limit announced so far ({@code headerLimit}); then a record peeked from memory
     * ({@code head}, or null); a marker for the announced disk records after an evicted peeked
     * disk record ({@code evictedHeadMarker}, or -1); the rest of the old snapshot; the ring's slots
     * (records, and markers as markers); and last a marker for every disk record written
     * ({@code nextIndex}), since unannounced disk records follow everything in memory. A record
     * whose serializer fails here is dropped with a log line and counted in the cursor's lost
     * records. Replaces the old snapshot. Close, front and back locks held.
     */
    @SuppressWarnings("unchecked")
    void writeAtClose(long headerLimit, T head, long evictedHeadMarker, List<Object> slots, long nextIndex)
            throws IOException {
        long dropped = 0;
        long written;
        long writtenGeneration;
        try (SnapshotFile.Writer w = new SnapshotFile.Writer(directory, headerLimit)) {
            if (head != null && !write(w, head)) {
                dropped++;
            }
            if (evictedHeadMarker >= 0) {
                w.marker(evictedHeadMarker);
            }
            if (reader != null) {
                long damaged = reader.copyRemainingTo(w);
                if (damaged > 0) {
                    cursor.countDamage(damaged);
                }
            }
            for (Object o : slots) {
                if (o instanceof DiskRun run) {
                    w.marker(run.end());
                } else if (!write(w, (T) o)) {
                    dropped++;
                }
            }
            w.marker(nextIndex);
            w.commit();
            if (dropped > 0) {
                cursor.countLost(dropped); // visible in stats() after close
            }
            written = w.records();
            writtenGeneration = w.generation();
        }
        if (reader != null) {
            reader.close(); // its file was just replaced by the new snapshot
            reader = null;
            pending = 0;
        }
        records = written;
        generation = writtenGeneration;
    }

    /**
     * At close, after {@link #writeAtClose} or with nothing to write: the live snapshot holds only
     * what was not delivered. Front lock held.
     */
    void closed(boolean written) {
        if (!written) {
            records = 0;
        }
        delivered = 0;
        handedOver = 0;
    }

    /** Writes one record into the close's snapshot; false (logged) if it cannot be encoded. */
    private boolean write(SnapshotFile.Writer w, T record) throws IOException {
        try {
            EncodedRecord e = codec.encode(record);
            try {
                w.record(e);
            } finally {
                codec.release(e);
            }
            return true;
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "hopper: a record could not be serialized at close and is dropped: " + e);
            return false;
        }
    }
}
