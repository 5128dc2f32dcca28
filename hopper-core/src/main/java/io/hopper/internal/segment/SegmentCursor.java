package io.hopper.internal.segment;


import java.lang.invoke.VarHandle;
import java.lang.invoke.MethodHandles;
import io.hopper.internal.concurrent.VarHandles;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The reading end of the disk stream: locates each record's frame in the head file. The consumer
 * calls it under the ring's front lock (one consumer at a time); its reading state is guarded by
 * the {@link #fileLock()}, which a producer also takes, alone, to release a drained file
 * ({@link #releaseDrainedFiles()}) or evict one ({@link #evictOldest()}), and the compactor to
 * swap a file ({@link #swapIfUnread}). Its parts, all under the file lock: {@link HeadWindow}
 * (the open head file and its window), {@link HeadFiles} (retention, deletion, eviction) and
 * {@link DamageLedger} (what could not be delivered). It never reads past the bytes the writer
 * has published for a file, and never believes a length, an index or a payload it has not
 * verified with its checksum.
 *
 * <p>Damage is skipped, counted and logged, never delivered: a frame whose payload checksum fails
 * costs exactly its own records; after a frame header that cannot be trusted, reading resumes at
 * the next intact frame ({@link FrameScan}), and only when there is none is the rest of the file
 * given up. The records lost are known exactly from the indices written into the file and from
 * the writer's bookkeeping. Fully read files are deleted. Holds at most one open file.
 */
public final class SegmentCursor {
    private static final System.Logger LOG = System.getLogger("io.hopper");

    private final SegmentLog log;
    /** The back lock: taken (front, then back) only to read a file's bookkeeping consistently after damage. */
    private final Lock backLock;

    /**
     * Guarded: fileLock for writes (by the consumer, and by a producer evicting the file being
     * read). Volatile, so the consumer compares it with its limit without the lock, which
     * {@link #locate(long)} then re-checks. Index of the next record to deliver.
     */
    volatile long readIndex;
    /** Guarded: fileLock. Writer: consumer (release; counter idiom). Records delivered from disk. */
    private long recordsRead;
    /** Guarded: fileLock. Writer: consumer (release). Frame bytes of the records delivered from disk. */
    private long bytesRead;
    private static final VarHandle RECORDS_READ = VarHandles.field(MethodHandles.lookup(), "recordsRead", long.class);
    private static final VarHandle BYTES_READ = VarHandles.field(MethodHandles.lookup(), "bytesRead", long.class);
    /** Damaged frames and the records they cost. */
    private final DamageLedger damage = new DamageLedger();

    /** See {@link #fileLock()}. */
    private final ReentrantLock fileLock = new ReentrantLock();
    /** Read files kept until the released position passes them; deletion; eviction. */
    private final HeadFiles headFiles;
    /** The head file being read and the frame located in it. */
    private final HeadReader reader;

    /** Installs the read-ahead. */
    public void prefetcher(Prefetcher p) {
        reader.prefetcher = p;
    }

    /** Whether the located frame's value is waiting in the prefetcher (see {@link Prefetcher#ready}). */
    public boolean locatedPrefetched() {
        return reader.locatedPrefetched;
    }

    /**
     * Stores the position before a file is deleted. Runs under the file lock, on the consumer or on
     * a producer releasing or evicting a file (which holds no other channel lock).
     */
    public interface BeforeDelete {
        void aboutToDelete(long readIndex) throws IOException;
    }

    /** Installs the hook that records the read position before a read file is deleted (file lock held when it runs). */
    public void onBeforeDelete(BeforeDelete hook) {
        headFiles.onBeforeDelete(hook);
    }

    /**
     * Installs the hook that stores, durably, a read position that moved past evicted records:
     * called under the file lock before an evicted file is deleted, in either commit mode.
     */
    public void onBeforeEvict(BeforeDelete hook) {
        headFiles.onBeforeEvict(hook);
    }

    public SegmentCursor(SegmentLog log, Lock backLock, long readIndex, boolean keepUntilCommitted) {
        this.log = log;
        this.backLock = backLock;
        this.readIndex = readIndex;
        this.headFiles = new HeadFiles(log, keepUntilCommitted, readIndex);
        this.reader = new HeadReader(this, log, backLock, headFiles, damage);
    }

    /**
     * The lock that guards the reading state below, the deletion of files and (taken by the
     * receiver) every store of the read position. The consumer takes it inside the front lock for
     * each step through a file; a producer that needs a file's room takes it alone, so it can
     * release a drained file while the consumer is busy elsewhere (in a slow {@code drainTo} sink,
     * say) and never waits for more than one such step. Lock order: front, file, sync, back (docs/DESIGN.md, section 4). The one
     * exception, {@code Channel.close()} taking it while it holds the front and back locks, cannot
     * deadlock: the only path from the file lock to the back lock ({@code HeadReader.skipRestOfFile}) runs on
     * the consumer, under the front lock that close holds; a producer holding the file lock takes
     * no other channel lock.
     */
    public ReentrantLock fileLock() {
        return fileLock;
    }

    public long readIndex() {
        return readIndex;
    }

    public long corruptFrames() {
        return damage.frames();
    }

    public long recordsLost() {
        return damage.recordsLost();
    }

    public long bytesRead() {
        return (long) BYTES_READ.getAcquire(this);
    }

    public long recordsRead() {
        return (long) RECORDS_READ.getAcquire(this);
    }

    /** Undelivered records discarded by eviction since open. */
    public long recordsEvicted() {
        return headFiles.recordsEvicted();
    }

    /** Queue files deleted by eviction since open. */
    public long filesEvicted() {
        return headFiles.filesEvicted();
    }

    /** The array holding the located record's payload (see {@link #payloadOffset()}). */
    public byte[] window() {
        return reader.payloadArray;
    }

    public int payloadOffset() {
        return reader.payloadOffset;
    }

    public int payloadLength() {
        return reader.payloadLength;
    }

    /** The located payload's form (codec id and form bits, {@code PayloadCodec}), to pass to the decoder. */
    public int codec() {
        return reader.codec;
    }


    /** {@link #locate} result: the payload is located. */
    public static final int LOCATED = 1;
    /** {@link #locate} result: nothing located (damage skipped, a file finished, the read index moved). */
    public static final int NOT_LOCATED = 0;
    /** {@link #locate} result: no queue file is open or live to read from. */
    public static final int NO_FILE = -1;

    /**
     * Locates the frame of the record at {@link #readIndex()}. The caller has been told that this
     * record exists (a marker, or a claim under the back lock). One hold of the file lock: the
     * consumer's per-record step.
     *
     * @param expected the read index the caller saw when it decided that this record is announced:
     *                 if an eviction moved the read index since, nothing is located, since the new
     *                 position may lie past what the caller may read
     * @return {@link #LOCATED} with the payload located; {@link #NO_FILE} when no queue file is open
     *         or live (the records were announced but their files are gone); {@link #NOT_LOCATED}
     *         when damage was skipped instead ({@link #readIndex()} moved past the lost records, or a
     *         finished file was deleted), or the read index is no longer {@code expected}, so the
     *         caller must re-check how far it may read
     */
    public int locate(long expected) {
        fileLock.lock();
        try {
            if (reader.meta == null && log.live.isEmpty()) {
                return NO_FILE;
            }
            return readIndex == expected && reader.nextFrameLocked() ? LOCATED : NOT_LOCATED;
        } finally {
            fileLock.unlock();
        }
    }

    /**
     * The located record was delivered: moves the read index past it, then deletes head files
     * drained by it as {@link #releaseDrainedFiles()} does, in one hold of the file lock (what the
     * consumer does after delivering each disk record). The record's file may have been evicted
     * since it was located (the eviction counted it as delivered): the read index never moves back.
     *
     * @return whether a file was deleted (disk room appeared)
     */
    public boolean consumedAndReleased() {
        fileLock.lock();
        try {
            consumedLocked();
            return releaseDrainedFilesLocked();
        } finally {
            fileLock.unlock();
        }
    }

    private void consumedLocked() {
        readIndex = Math.max(readIndex, reader.frameIndex + 1);
        RECORDS_READ.setRelease(this, recordsRead + 1);
        BYTES_READ.setRelease(this, bytesRead + reader.frameBytes);
        if (reader.locatedIn == reader.meta) {
            reader.pos = reader.frameEnd;
        }
        reader.locatedIn = null;
        reader.locatedIndex = -1;
    }

    /**
     * Deletes head files that are sealed and whose every record has been read, without waiting to
     * meet their END frame. The receiver calls this after delivering a record and whenever it finds
     * nothing to read, so a producer waiting for a file never waits on a file that is already drained.
     *
     * @return whether a file was deleted (disk room appeared)
     */
    public boolean releaseDrainedFiles() {
        fileLock.lock();
        try {
            return releaseDrainedFilesLocked();
        } finally {
            fileLock.unlock();
        }
    }

    private boolean releaseDrainedFilesLocked() {
        boolean released = false;
        for (;;) {
            SegmentMeta head = reader.meta != null ? reader.meta : log.live.peekFirst();
            // sealed is read before endIndex: once sealed, endIndex is final.
            if (head == null || !head.sealed || readIndex < head.endIndex) {
                return headFiles.releaseRetained() || released;
            }
            reader.meta = head;
            released |= reader.finishFile();
        }
    }

    /**
     * Commit mode MANUAL: the committed position has moved to {@code index}; files whose every
     * record lies below it may go. File lock held by the caller (the receiver stores the position
     * under it).
     */
    public void committed(long index) {
        assert fileLock.isHeldByCurrentThread();
        headFiles.committed(index);
    }

    /**
     * AUTO: a receiver call begins, so every record delivered before it was handed over: release
     * it, deleting the read files it passes. Caller holds the front lock.
     *
     * @return whether a file was deleted
     */
    public boolean settle() {
        fileLock.lock();
        try {
            return headFiles.settle(readIndex);
        } finally {
            fileLock.unlock();
        }
    }


    /** The located record's payload passed its checksum but does not decode: skip and count it. */
    public void undecodable(RuntimeException cause) {
        fileLock.lock();
        try {
            reader.undecodableLocked(cause);
        } finally {
            fileLock.unlock();
        }
    }

    /**
     * Records up to {@code end} were announced but no queue file holds them (deleted behind the
     * channel's back, or set aside as unreadable at open): count them as lost and move past them.
     */
    public void writeOffMissing(long end) {
        fileLock.lock(); // an eviction may move the read index at the same time
        try {
            if (end > readIndex && log.live.isEmpty() && reader.meta == null) {
                damage.frame();
                LOG.log(Level.WARNING, "hopper: records " + readIndex + " to " + (end - 1) + " in " + log.directory
                        + " have no queue file; counted as lost");
                lose(end - readIndex);
            }
        } finally {
            fileLock.unlock();
        }
    }

    /**
     * {@code OverflowPolicy.DROP_OLDEST}: frees disk room by discarding the oldest queue file. A
     * file read to its end but kept for a commit goes first (its records were delivered: none is
     * counted); otherwise the oldest live file, the one being read included, whose records from the
     * read position on are discarded and counted (a record already located for the consumer counts
     * as delivered). A live file still being written is not deleted but marked, so the writer seals
     * it at its next append and the next call can evict it. Nothing is evicted when the budget has
     * room for a file again (the consumer released one, or another producer evicted one, since the
     * caller's append was refused): then the caller only has to place its record again, and
     * producers refused at the same moment do not evict a file each.
     *
     * <p>The read position past the discarded records is stored durably before the file is
     * deleted ({@link #onBeforeEvict}), so a restart neither delivers them nor counts them as lost.
     * Runs under the file lock alone, on a producer's thread, taking no other channel lock.
     *
     * @return the records discarded (0 when only delivered records went, a file was marked, or
     *         there was room already), or -1 when there is nothing on disk to evict
     * @throws IOException if the read position could not be stored; nothing was evicted
     */
    public long evictOldest() throws IOException {
        fileLock.lock();
        try {
            if (log.roomForFile()) {
                return 0;
            }
            if (headFiles.evictRetained()) {
                return 0;
            }
            SegmentMeta head = reader.meta != null ? reader.meta : log.live.peekFirst();
            if (head == null) {
                return -1;
            }
            // sealed is read before endIndex: once sealed, endIndex is final.
            if (!head.sealed) {
                head.abandoned = true; // the caller's next append seals it (and anyone's after that)
                return 0;
            }
            long from = Math.max(readIndex, head.firstIndex);
            if (reader.locatedIn == head) {
                from = Math.max(from, reader.frameIndex + 1);
            }
            long discarded = Math.max(0, head.endIndex - from);
            long to = headFiles.beforeEvicting(head);
            if (reader.meta == head) {
                reader.closeFile();
                reader.meta = null;
            }
            SegmentMeta polled = log.live.pollFirst();
            assert polled == head;
            readIndex = Math.max(readIndex, head.endIndex);
            headFiles.evicted(head, to, discarded);
            return discarded;
        } finally {
            fileLock.unlock();
        }
    }

    /**
     * Whether the located frame (a record the consumer peeked) had its file evicted: the eviction
     * counted it as delivered, so a close before it is received must keep it elsewhere, and the
     * tiers' counts no longer include it. Lock-free (two volatile loads; exact under the file lock).
     */
    public boolean locatedFrameEvicted() {
        long located = reader.locatedIndex;
        return located >= 0 && readIndex > located;
    }


    /** Replaces a live file's bytes; runs under the file lock. */
    interface Swap {
        void run() throws IOException;
    }

    /**
     * Runs {@code swap} under the file lock if {@code m} (a sealed file) is still live and the
     * consumer has not opened it: the compactor replaces a file's bytes only where no reader has looked at them, so
     * every offset the cursor holds belongs to the bytes it read. Deletion and eviction take the
     * same lock, so the file cannot go away during the swap either.
     *
     * @return whether the swap ran
     */
    boolean swapIfUnread(SegmentMeta m, Swap swap) throws IOException {
        fileLock.lock();
        try {
            if (reader.meta == m || !log.live.contains(m)) {
                return false;
            }
            swap.run();
            return true;
        } finally {
            fileLock.unlock();
        }
    }

    /** Counts damage found outside the queue files (a snapshot entry): {@code lost} records gone. */
    public void countDamage(long lost) {
        damage.frame();
        damage.lost(lost);
    }

    /** Counts records lost without damage to a file (e.g. one whose serializer failed at close). Front lock held. */
    public void countLost(long n) {
        damage.lost(n);
    }

    /** {@code n} records at the read index are lost: counted, and the read index moves past them. File lock held. */
    void lose(long n) {
        damage.lost(n);
        readIndex += n;
    }

    /** Closes the open file, if any. */
    public void close() {
        fileLock.lock();
        try {
            reader.closeFile();
            reader.meta = null;
        } finally {
            fileLock.unlock();
        }
    }
}
