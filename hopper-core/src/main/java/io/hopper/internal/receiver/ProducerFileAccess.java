package io.hopper.internal.receiver;

import io.hopper.StorageException;
import io.hopper.internal.segment.SegmentCursor;
import io.hopper.internal.sender.SenderMachine;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * What a producer refused room may do to the receiver's files without the consumer: delete
 * queue files that are read ({@link #releaseDrainedFiles()}) and, under
 * {@code OverflowPolicy.DROP_OLDEST}, evict the oldest one ({@link #evictOldest()}).
 *
 * <p>Lock: both take only the cursor's file lock, never the front lock, so they work while the
 * consumer is busy (in a slow {@code drainTo} sink, say); they wait at most for the consumer's
 * current step through a file. Callers hold no channel lock. The position stores they trigger
 * (the cursor's delete and evict hooks, {@link PositionStore}) run under that file lock.
 */
public final class ProducerFileAccess implements SenderMachine.FileRoom {
    private final SegmentCursor cursor;
    private final Path directory;
    /** Whether the receiver is closed (a volatile load; written by close under the front lock). */
    private final BooleanSupplier closed;

    ProducerFileAccess(SegmentCursor cursor, Path directory, BooleanSupplier closed) {
        this.cursor = cursor;
        this.directory = directory;
        this.closed = closed;
    }

    /**
     * Evicts the oldest queue file ({@link SegmentCursor#evictOldest()}).
     *
     * @return the undelivered records discarded, or -1 when nothing on disk can be evicted
     * @throws StorageException if the read position could not be stored (nothing was evicted)
     */
    @Override
    public long evictOldest() {
        ReentrantLock fileLock = cursor.fileLock();
        fileLock.lock();
        try {
            if (closed.getAsBoolean()) {
                return -1;
            }
            return cursor.evictOldest();
        } catch (IOException e) {
            throw new StorageException("cannot record the read position in " + directory
                    + " before evicting a queue file", e);
        } finally {
            fileLock.unlock();
        }
    }

    @Override
    public long recordsEvicted() {
        return cursor.recordsEvicted();
    }

    /**
     * Deletes queue files that are sealed and fully read (MANUAL: and committed).
     *
     * @return whether a file was deleted
     */
    @Override
    public boolean releaseDrainedFiles() {
        ReentrantLock fileLock = cursor.fileLock();
        fileLock.lock();
        try {
            return !closed.getAsBoolean() && cursor.releaseDrainedFiles();
        } finally {
            fileLock.unlock();
        }
    }
}
