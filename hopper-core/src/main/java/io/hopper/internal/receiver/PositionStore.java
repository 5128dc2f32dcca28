package io.hopper.internal.receiver;

import io.hopper.StorageException;
import io.hopper.internal.recovery.ReadCursorFile;
import io.hopper.internal.segment.SegmentCursor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The committed read position in {@code cursor.hop}: explicit commits, automatic stores (AUTO:
 * once a second while reading from disk, and before a read file is deleted), the forced store
 * before an eviction, and the last store at close.
 *
 * <p>Lock: every method takes the cursor's file lock ({@link SegmentCursor#fileLock()},
 * reentrant: the cursor's delete and evict hooks call in while holding it). It runs on the
 * consumer (under the front lock as well) and on producers that release or evict a file (under
 * the file lock alone).
 */
final class PositionStore {
    private static final System.Logger LOG = System.getLogger("io.hopper");

    /** What the cursor file says for a read index; built by the receiver from its and the sender's state. */
    @FunctionalInterface
    interface StateSource {
        ReadCursorFile.State at(long readIndex);
    }

    private final ReadCursorFile file;
    private final SegmentCursor cursor;
    private final StateSource source;
    private final Path directory;

    /** Guarded: fileLock. Last index written to the cursor file. */
    private long committed;
    /**
     * Guarded: fileLock. Last index written <em>and forced</em>: an unforced store (before a file is
     * deleted) may have written the index a commit asks for, and the commit must still force it.
     */
    private long committedForced;
    /** Guarded: fileLock. The snapshot progress last written to the cursor file. */
    private long storedSnapshotConsumed;
    /**
     * Guarded: fileLock for writes. Writer: whoever stores (volatile), so the consumer's lock-free
     * {@link #autoCommitDue()} reads it without the file lock.
     */
    private volatile long lastCommitNanos = System.nanoTime();

    PositionStore(ReadCursorFile file, SegmentCursor cursor, StateSource source, Path directory) {
        this.file = file;
        this.cursor = cursor;
        this.source = source;
        this.directory = directory;
        this.committed = cursor.readIndex();
        this.committedForced = committed;
    }

    /** The last index written to the cursor file. File lock held (or before the channel is published). */
    long committed() {
        return committed;
    }

    /** Re-bases the stored snapshot progress after {@link SnapshotReplay#resume}. Before first use. */
    void snapshotResumed(long consumed) {
        storedSnapshotConsumed = consumed;
    }

    /**
     * Stores {@code index} as the committed position, unless a commit already covers it and
     * {@code always} is false ({@code always}: the cursor file must be rewritten anyway, e.g. for
     * a new snapshot size; the position never moves back).
     *
     * @return whether the committed position moved
     * @throws StorageException if the cursor file could not be written
     */
    boolean store(long index, boolean force, boolean always) {
        ReentrantLock fileLock = cursor.fileLock();
        fileLock.lock();
        try {
            long at = Math.max(index, committed);
            ReadCursorFile.State state = source.at(at);
            boolean snapshotMoved = state.snapshotConsumed() != storedSnapshotConsumed;
            if (!always && !snapshotMoved && at == committed && (!force || committedForced >= at)) {
                return false;
            }
            try {
                file.store(state, force);
            } catch (IOException e) {
                throw new StorageException("cannot record the read position in " + directory, e);
            }
            storedSnapshotConsumed = state.snapshotConsumed();
            if (force) {
                committedForced = at;
            }
            boolean moved = at > committed;
            committed = at;
            lastCommitNanos = System.nanoTime();
            cursor.committed(at);
            return moved;
        } finally {
            fileLock.unlock();
        }
    }

    /** {@link #store} for a commit the caller did not ask for: a failure is logged and retried later. */
    void storeQuietly(long index, boolean force, boolean always) {
        try {
            store(index, force, always);
        } catch (StorageException e) {
            lastCommitNanos = System.nanoTime();
            LOG.log(System.Logger.Level.WARNING, "hopper: " + e.getMessage());
        }
    }

    /** Whether an automatic store is due (lock-free: one volatile load). */
    boolean autoCommitDue() {
        return System.nanoTime() - lastCommitNanos >= ReceiverMachine.AUTO_COMMIT_NANOS;
    }

    /**
     * The last store, at close, forced: the committed position ({@code keepCommitted}, MANUAL: what
     * was read but not committed comes again after the restart) or everything read.
     */
    void storeAtClose(boolean keepCommitted) throws IOException {
        ReentrantLock fileLock = cursor.fileLock();
        fileLock.lock();
        try {
            file.store(source.at(keepCommitted ? committed : cursor.readIndex()));
        } finally {
            fileLock.unlock();
        }
    }

    void close() throws IOException {
        file.close();
    }
}
