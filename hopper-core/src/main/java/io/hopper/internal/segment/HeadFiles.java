package io.hopper.internal.segment;

import io.hopper.internal.concurrent.VarHandles;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.util.ArrayDeque;

/**
 * The files behind the read position: which read files are kept until the released position
 * passes them (MANUAL commits, or AUTO until the call that returned their last record ends),
 * their deletion, and eviction's bookkeeping under {@code OverflowPolicy.DROP_OLDEST}. Every
 * deletion is preceded by a store of the position (the hooks), so a restart never looks for
 * records in a deleted file.
 *
 * <p>Guarded: the cursor's file lock, for every method (the consumer inside the front lock, or a
 * producer releasing or evicting a file with the file lock alone). The hooks run under it.
 */
final class HeadFiles {
    private static final System.Logger LOG = System.getLogger("io.hopper");

    private final SegmentLog log;
    /**
     * Commit mode MANUAL: the released position moves only at a commit; AUTO: at the start of each
     * receiver call ({@link #settle}).
     */
    private final boolean keepUntilCommitted;
    /**
     * Guarded: fileLock. The released position: records below it were handed over and may be
     * counted as consumed, so files wholly below it may be deleted and the position stored before a
     * deletion is this one. MANUAL: the committed position. AUTO: the read index when the current
     * receiver call began, so that a record still inside the call that returns it (the process may
     * die before it returns) is never counted as consumed by a store.
     */
    private long released;
    /** Guarded: fileLock. Files read to the end, waiting for the released position to pass them, oldest first. */
    private final ArrayDeque<SegmentMeta> retained = new ArrayDeque<>();
    /** Set once before the channel is published: stores the released position before a read file is deleted. */
    private SegmentCursor.BeforeDelete beforeDelete = index -> { };
    /** Set once before the channel is published: stores, durably, the position past evicted records. */
    private SegmentCursor.BeforeDelete beforeEvict = index -> { };
    /** Guarded: fileLock. Writer: an evicting producer (release). Undelivered records discarded by eviction. */
    private long recordsEvicted;
    /** Guarded: fileLock. Writer: an evicting producer (release). Queue files deleted by eviction. */
    private long filesEvicted;
    private static final VarHandle RECORDS_EVICTED = VarHandles.field(MethodHandles.lookup(), "recordsEvicted", long.class);
    private static final VarHandle FILES_EVICTED = VarHandles.field(MethodHandles.lookup(), "filesEvicted", long.class);

    HeadFiles(SegmentLog log, boolean keepUntilCommitted, long released) {
        this.log = log;
        this.keepUntilCommitted = keepUntilCommitted;
        this.released = released;
    }

    void onBeforeDelete(SegmentCursor.BeforeDelete hook) {
        this.beforeDelete = hook;
    }

    void onBeforeEvict(SegmentCursor.BeforeDelete hook) {
        this.beforeEvict = hook;
    }

    long released() {
        return released;
    }

    long recordsEvicted() {
        return (long) RECORDS_EVICTED.getAcquire(this);
    }

    long filesEvicted() {
        return (long) FILES_EVICTED.getAcquire(this);
    }

    /** MANUAL: the committed position moved to {@code index}. */
    void committed(long index) {
        released = Math.max(released, index);
    }

    /**
     * AUTO: a receiver call begins with {@code readIndex}: release it, deleting the read files it
     * passes.
     *
     * @return whether a file was deleted
     */
    boolean settle(long readIndex) {
        if (keepUntilCommitted || released >= readIndex) {
            return false;
        }
        released = readIndex;
        return releaseRetained();
    }

    /** Deletes retained files the released position has passed. */
    boolean releaseRetained() {
        boolean deleted = false;
        for (SegmentMeta m = retained.peekFirst(); m != null && m.endIndex <= released; m = retained.peekFirst()) {
            retained.pollFirst();
            delete(m);
            deleted = true;
        }
        return deleted;
    }

    /**
     * {@code done}, taken off the live list, was read to its end: deletes it and returns its space
     * to the budget, or keeps it until the released position passes it.
     *
     * @return whether it was deleted
     */
    boolean finished(SegmentMeta done) {
        if (done.endIndex > released) {
            retained.addLast(done);
            return false;
        }
        delete(done);
        return true;
    }

    private void delete(SegmentMeta done) {
        try {
            // Record the position first: a restart must never look for records in a deleted file.
            beforeDelete.aboutToDelete(released);
            Files.deleteIfExists(done.path);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "hopper: cannot delete consumed queue file " + done.path + ": " + e);
        }
        log.releaseFile(done.footprint());
        log.filesDeleted.incrementAndGet();
    }

    /**
     * Evicts the oldest retained file, if any: its records were delivered, so none is counted.
     *
     * @return whether one was evicted
     * @throws IOException if the position could not be stored; nothing was evicted
     */
    boolean evictRetained() throws IOException {
        SegmentMeta kept = retained.peekFirst();
        if (kept == null) {
            return false;
        }
        long to = Math.max(released, kept.endIndex);
        beforeEvict.aboutToDelete(to);
        retained.pollFirst();
        released = to;
        deleteEvicted(kept);
        return true;
    }

    /**
     * Stores, durably, the position past a live file about to be evicted.
     *
     * @return the new released position, to pass to {@link #evicted}
     * @throws IOException if it could not be stored; nothing may be evicted then
     */
    long beforeEvicting(SegmentMeta head) throws IOException {
        long to = Math.max(released, head.endIndex);
        beforeEvict.aboutToDelete(to);
        return to;
    }

    /** The live file {@code head}, taken off the live list, is evicted with {@code discarded} undelivered records. */
    void evicted(SegmentMeta head, long to, long discarded) {
        released = to;
        RECORDS_EVICTED.setRelease(this, recordsEvicted + discarded);
        deleteEvicted(head);
    }

    private void deleteEvicted(SegmentMeta m) {
        try {
            Files.deleteIfExists(m.path);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "hopper: cannot delete evicted queue file " + m.path + ": " + e);
        }
        log.releaseFile(m.footprint());
        FILES_EVICTED.setRelease(this, filesEvicted + 1);
    }
}
