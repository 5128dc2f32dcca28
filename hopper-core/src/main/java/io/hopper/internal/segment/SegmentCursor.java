package io.hopper.internal.segment;

import io.hopper.StorageException;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.util.ArrayDeque;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The reading end of the disk stream. The consumer calls it under the ring's front lock (one
 * consumer at a time); its reading state is guarded by the {@link #fileLock()}, which a producer
 * also takes, alone, to release a drained file ({@link #releaseDrainedFiles()}). It reads files through a window buffer, never past the bytes the writer
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
    private static final int WINDOW = 64 * 1024;

    private final SegmentLog log;
    /** The back lock: taken (front, then back) only to read a file's bookkeeping consistently after damage. */
    private final Lock backLock;

    // Counters: written only under the front lock (single writer), volatile so that stats() and
    // the producers' lock-free checks can read them from other threads.
    /**
     * Index of the next record to deliver. Written under the file lock (by the consumer, and by a
     * producer evicting the file being read); volatile so the consumer can compare it with its
     * limit without the lock, which {@link #nextFrame(long)} then re-checks.
     */
    private volatile long readIndex;
    /** Damaged frames, undecodable records and unreadable file tails skipped. */
    private volatile long corruptFrames;
    /** Records that were accepted but cannot be delivered: damaged on disk, or dropped at close. */
    private volatile long recordsLost;
    /** Records delivered from disk. */
    private volatile long recordsRead;
    /** Frame bytes (header and payload) of the records delivered from disk. */
    private volatile long bytesRead;
    /** Undelivered records discarded by {@link #evictOldest()}. Written under the file lock; volatile for stats. */
    private volatile long recordsEvicted;
    /** Queue files deleted by {@link #evictOldest()}. Written under the file lock; volatile for stats. */
    private volatile long filesEvicted;

    /** See {@link #fileLock()}. */
    private final ReentrantLock fileLock = new ReentrantLock();
    /**
     * Commit mode MANUAL: the released position moves only at a commit; AUTO: at the start of each
     * receiver call ({@link #settle()}).
     */
    private final boolean keepUntilCommitted;
    /**
     * The released position: records below it were handed over and may be counted as consumed, so
     * files wholly below it may be deleted and the position stored before a deletion is this one.
     * MANUAL: the committed position. AUTO: the read index when the current receiver call began,
     * so that a record still inside the call that returns it (the process may die before it
     * returns) is never counted as consumed by a store. Written under the file lock.
     */
    private long committedIndex;
    /** Files read to the end, waiting for the released position to pass them, oldest first. File lock. */
    private final ArrayDeque<SegmentMeta> retained = new ArrayDeque<>();

    // Reading state: the file lock (taken inside the front lock by the consumer).
    /** The head file being read, or null before it is opened. */
    private SegmentMeta meta;
    private SegmentReader file;
    /** The head file could not be opened or has no valid header. */
    private boolean unreadable;
    /** Offset of the next frame in the head file. */
    private long pos;

    /** Bytes {@code [windowStart, windowStart + windowLength)} of the head file, as read. */
    private byte[] window = new byte[WINDOW];
    private long windowStart;
    private int windowLength;

    // The frame located by the last successful nextFrame(): its bytes stay in the window (nobody
    // else fills it) even if a producer evicts its file before the consumer takes it.
    /** The file of the located frame until it is consumed or written off; null when none is located. */
    private SegmentMeta locatedIn;
    /** The located frame's index, -1 when none. Written with {@link #locatedIn}; volatile for size(). */
    private volatile long locatedIndex = -1;
    /** The array holding the located record's payload: the window, or the decoded block. */
    private byte[] payloadArray = window;
    private int payloadOffset;
    private int payloadLength;
    private boolean compressed;
    private long frameIndex;
    /** Offset of the frame holding the located record. */
    private long frameAt;
    /** Where reading goes on once the located record is consumed: past its frame, or (inside a block) the block again. */
    private long frameEnd;
    /** Frame bytes counted in {@link #bytesRead} when the located record is consumed (a block's, with its last record). */
    private int frameBytes;

    // The block frame decoded last (compacted files): its records are located one by one, so the
    // block's header and payload are checked and decompressed once, not once per record. Written
    // and read under the file lock (by the consumer; closeFile, which an evicting producer may run,
    // drops it).
    private final RecordBlock block = new RecordBlock();
    /** The file and offset of the decoded block; null when none is held. */
    private SegmentMeta blockFile;
    private long blockAt = -1;
    /** The held block's first record index, the offset after its frame, and its frame's bytes. */
    private long blockFirst;
    private long blockNext;
    private int blockFrameBytes;

    /**
     * Decodes frames ahead of the consumer (read-ahead). The cursor stays the only authority on
     * positions: it offers each window it reads, and for each frame it locates it asks whether a
     * value decoded from exactly that frame's payload is ready. Both calls come with the front
     * and file locks held, and with the head file open: {@code file} may be read during the call,
     * never kept, and never past {@code readableEnd}, the bytes the writer has published.
     */
    public interface Prefetcher {
        /**
         * Bytes {@code [windowStart, windowStart + length)} of queue file {@code sequence} were just
         * read into {@code window}, and a frame starts at {@code firstFrame}. The array is reused
         * after the call: copy what is kept.
         */
        void windowRead(long sequence, SegmentReader file, long readableEnd, byte[] window, long windowStart,
                        int length, long firstFrame);

        /**
         * Whether a value decoded from the frame at {@code offset} of file {@code sequence}, whose
         * payload checked against {@code payloadCrc}, is ready; if so it is the next one handed over.
         * May wait for a decode under way.
         */
        boolean ready(long sequence, SegmentReader file, long readableEnd, long offset, int payloadCrc);
    }

    /** Set once by the receiver before the channel is published; null when reading ahead is off. */
    private Prefetcher prefetcher;
    /** Fresh reads into the window so far, and the count when the prefetcher last saw one. File lock. */
    private long windowReads;
    private long windowsOffered;
    /** The located frame's value was decoded ahead (its payload checksum was verified there). */
    private boolean locatedPrefetched;

    /** Installs the read-ahead. */
    public void prefetcher(Prefetcher p) {
        this.prefetcher = p;
    }

    /** Whether the located frame's value is waiting in the prefetcher (see {@link Prefetcher#ready}). */
    public boolean locatedPrefetched() {
        return locatedPrefetched;
    }

    /** Called with the read index before a fully read file is deleted; front lock held. */
    public interface BeforeDelete {
        void aboutToDelete(long readIndex) throws IOException;
    }

    /** Set once by the receiver before the channel is published; called under the front lock. */
    private BeforeDelete beforeDelete = index -> { };

    /** Installs the hook that records the read position before a file is deleted. */
    public void onBeforeDelete(BeforeDelete hook) {
        this.beforeDelete = hook;
    }

    /**
     * Stores, durably, a read position that moved past evicted records: called under the file lock
     * before an evicted file is deleted, in either commit mode. Set once before the channel is
     * published.
     */
    private BeforeDelete beforeEvict = index -> { };

    /** Installs the hook that durably records the read position before an evicted file is deleted. */
    public void onBeforeEvict(BeforeDelete hook) {
        this.beforeEvict = hook;
    }

    public SegmentCursor(SegmentLog log, Lock backLock, long readIndex, boolean keepUntilCommitted) {
        this.log = log;
        this.backLock = backLock;
        this.readIndex = readIndex;
        this.keepUntilCommitted = keepUntilCommitted;
        this.committedIndex = readIndex;
    }

    /**
     * The lock that guards the reading state below, the deletion of files and (taken by the
     * receiver) every store of the read position. The consumer takes it inside the front lock for
     * each step through a file; a producer that needs a file's room takes it alone, so it can
     * release a drained file while the consumer is busy elsewhere (in a slow {@code drainTo} sink,
     * say) and never waits for more than one such step. Lock order: front, file, back. The one
     * exception, {@code Channel.close()} taking it while it holds the front and back locks, cannot
     * deadlock: the only path from the file lock to the back lock ({@code skipRestOfFile}) runs on
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
        return corruptFrames;
    }

    public long recordsLost() {
        return recordsLost;
    }

    public long bytesRead() {
        return bytesRead;
    }

    public long recordsRead() {
        return recordsRead;
    }

    /** Undelivered records discarded by eviction since open. */
    public long recordsEvicted() {
        return recordsEvicted;
    }

    /** Queue files deleted by eviction since open. */
    public long filesEvicted() {
        return filesEvicted;
    }

    /** The array holding the located record's payload (see {@link #payloadOffset()}). */
    public byte[] window() {
        return payloadArray;
    }

    public int payloadOffset() {
        return payloadOffset;
    }

    public int payloadLength() {
        return payloadLength;
    }

    public boolean compressed() {
        return compressed;
    }

    /**
     * Locates the frame of the record at {@link #readIndex()}. The caller has been told that this
     * record exists (a marker, or a claim under the back lock).
     *
     * @param expected the read index the caller saw when it decided that this record is announced:
     *                 if an eviction moved the read index since, nothing is located, since the new
     *                 position may lie past what the caller may read
     * @return {@code true} with the payload located; {@code false} when damage was skipped instead
     *         ({@link #readIndex()} moved past the lost records, or a finished file was deleted),
     *         or the read index is no longer {@code expected}, so the caller must re-check how far
     *         it may read
     */
    public boolean nextFrame(long expected) {
        fileLock.lock();
        try {
            return readIndex == expected && nextFrameLocked();
        } finally {
            fileLock.unlock();
        }
    }

    private boolean nextFrameLocked() {
        if (meta == null && log.live.isEmpty()) {
            return false; // evicted meanwhile: the caller re-checks the read index against its limit
        }
        if (meta == null && !openHead()) {
            return false;
        }
        if (unreadable) {
            return skipRestOfFile("file cannot be read");
        }
        if (blockFile == meta && blockAt == pos) {
            return locateInHeldBlock(); // reading stays at a block until its last record is consumed
        }
        long readable = meta.readableEnd();
        if (pos + SegmentFormat.FRAME_HEADER_BYTES > readable || !ensure(pos, SegmentFormat.FRAME_HEADER_BYTES, readable)) {
            return skipRestOfFile("file ends before offset " + (pos + SegmentFormat.FRAME_HEADER_BYTES));
        }
        int h = (int) (pos - windowStart);
        if (!SegmentFormat.frameWellFormed(window, h, readable - pos)) {
            return resync("frame header at offset " + pos + " fails its checks (checksum, shape or length)", readable);
        }
        int flags = SegmentFormat.frameFlags(window, h);
        int len = SegmentFormat.framePayloadLength(window, h);
        long index = SegmentFormat.frameRecordIndex(window, h);
        int crc = SegmentFormat.framePayloadCrc(window, h);
        if ((flags & SegmentFormat.FLAG_END) != 0) {
            if (index > readIndex) {
                lose(index - readIndex);
            }
            finishFile();
            return false;
        }
        long end = pos + SegmentFormat.FRAME_HEADER_BYTES + len;
        if (!ensure(pos, SegmentFormat.FRAME_HEADER_BYTES + len, readable)) {
            return skipRestOfFile("file ends inside the frame at offset " + pos);
        }
        h = (int) (pos - windowStart);
        int payloadAt = h + SegmentFormat.FRAME_HEADER_BYTES;
        locatedPrefetched = false;
        if ((flags & SegmentFormat.FLAG_BLOCK) != 0) {
            return locateInBlock(index, SegmentFormat.frameRecordCount(window, h), payloadAt, len, crc, end);
        }
        if (prefetcher != null) {
            if (windowsOffered != windowReads) {
                windowsOffered = windowReads;
                prefetcher.windowRead(meta.sequence, file, readable, window, windowStart, windowLength, pos);
            }
            // A value decoded ahead comes from a payload that passed this same checksum there.
            locatedPrefetched = index == readIndex && prefetcher.ready(meta.sequence, file, readable, pos, crc);
        }
        if (!locatedPrefetched && SegmentFormat.crc(window, payloadAt, len) != crc) {
            corruptFrames++;
            warn("payload checksum mismatch at offset " + pos + "; skipping 1 record");
            if (index >= readIndex) {
                lose(index + 1 - readIndex);
            }
            pos = end;
            return false;
        }
        if (index < readIndex) { // already delivered or written off: step over it
            pos = end;
            return false;
        }
        if (index > readIndex) {
            // Records before this one are gone (cut from a damaged file). Write them off, but do
            // not deliver this one yet: it may lie past what the caller may read (a memory
            // snapshot's marker announces it later), so the caller must look at the new position
            // first. The next call finds this frame again, now at the read position.
            lose(index - readIndex);
            return false;
        }
        payloadArray = window;
        payloadOffset = payloadAt;
        payloadLength = len;
        compressed = (flags & SegmentFormat.FLAG_COMPRESSED) != 0;
        frameIndex = index;
        frameAt = pos;
        frameEnd = end;
        frameBytes = SegmentFormat.FRAME_HEADER_BYTES + len;
        locatedIn = meta;
        locatedIndex = index;
        return true;
    }

    /**
     * The frame at {@link #pos} is a block of records {@code [index, index + count)}, whose payload
     * is in the window at {@code payloadAt}: checks and decompresses it, holds it, and locates the
     * record at the read index in it. Damage costs the block's undelivered records, exactly, as a
     * single frame's costs its one.
     */
    private boolean locateInBlock(long index, int count, int payloadAt, int len, int crc, long end) {
        long blockEnd = index + count;
        if (blockEnd <= readIndex) { // delivered or written off before: step over it
            pos = end;
            return false;
        }
        if (SegmentFormat.crc(window, payloadAt, len) != crc) {
            corruptFrames++;
            warn("payload checksum mismatch in the block at offset " + pos + "; skipping "
                    + (blockEnd - Math.max(index, readIndex)) + " record(s)");
            lose(blockEnd - readIndex);
            pos = end;
            return false;
        }
        if (index > readIndex) {
            lose(index - readIndex); // as for a single frame: the caller looks at the new position first
            return false;
        }
        try {
            block.read(window, payloadAt, len, count);
        } catch (RecordBlock.MalformedBlockException e) {
            corruptFrames++;
            warn("the block at offset " + pos + " is malformed (" + e.getMessage() + "); skipping "
                    + (blockEnd - readIndex) + " record(s)");
            lose(blockEnd - readIndex);
            pos = end;
            return false;
        }
        blockFile = meta;
        blockAt = pos;
        blockFirst = index;
        blockNext = end;
        blockFrameBytes = SegmentFormat.FRAME_HEADER_BYTES + len;
        return locateInHeldBlock();
    }

    /**
     * Locates the record at the read index in the held block, which starts at {@link #pos}. The
     * read index is inside it: reading moves past the block only with its last record, and no one
     * else moves the read index without closing the file (eviction), which drops the block.
     */
    private boolean locateInHeldBlock() {
        int k = (int) (readIndex - blockFirst);
        assert k >= 0 && k < block.count() : "read index " + readIndex + " outside the held block at " + blockFirst;
        boolean last = k == block.count() - 1;
        payloadArray = block.array();
        payloadOffset = block.offset(k);
        payloadLength = block.length(k);
        compressed = false;
        frameIndex = readIndex;
        frameAt = blockAt;
        frameEnd = last ? blockNext : blockAt;
        frameBytes = last ? blockFrameBytes : 0;
        locatedIn = meta;
        locatedIndex = readIndex;
        return true;
    }

    /**
     * The located record was delivered. Its file may have been evicted since it was located (the
     * eviction counted it as delivered): the read index never moves back.
     */
    public void consumed() {
        fileLock.lock();
        try {
            readIndex = Math.max(readIndex, frameIndex + 1);
            recordsRead++;
            bytesRead += frameBytes;
            if (locatedIn == meta) {
                pos = frameEnd;
            }
            locatedIn = null;
            locatedIndex = -1;
        } finally {
            fileLock.unlock();
        }
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
            boolean released = false;
            for (;;) {
                SegmentMeta head = meta != null ? meta : log.live.peekFirst();
                // sealed is read before endIndex: once sealed, endIndex is final.
                if (head == null || !head.sealed || readIndex < head.endIndex) {
                    return releaseCommitted() || released;
                }
                meta = head;
                released |= finishFile();
            }
        } finally {
            fileLock.unlock();
        }
    }

    /**
     * Commit mode MANUAL: the committed position has moved to {@code index}; files whose every
     * record lies below it may go. File lock held by the caller (the receiver stores the position
     * under it).
     */
    public void committed(long index) {
        assert fileLock.isHeldByCurrentThread();
        committedIndex = Math.max(committedIndex, index);
    }

    /**
     * AUTO: a receiver call begins, so every record delivered before it was handed over: release
     * it, deleting the read files it passes. Caller holds the front lock.
     *
     * @return whether a file was deleted
     */
    public boolean settle() {
        if (keepUntilCommitted) {
            return false;
        }
        fileLock.lock();
        try {
            if (committedIndex >= readIndex) {
                return false;
            }
            committedIndex = readIndex;
            return releaseCommitted();
        } finally {
            fileLock.unlock();
        }
    }

    /** Deletes read files the released position has passed. File lock held. */
    private boolean releaseCommitted() {
        boolean released = false;
        for (SegmentMeta m = retained.peekFirst(); m != null && m.endIndex <= committedIndex; m = retained.peekFirst()) {
            retained.pollFirst();
            delete(m);
            released = true;
        }
        return released;
    }

    /** The located record's payload passed its checksum but does not decode: skip and count it. */
    public void undecodable(RuntimeException cause) {
        fileLock.lock();
        try {
            undecodableLocked(cause);
        } finally {
            fileLock.unlock();
        }
    }

    private void undecodableLocked(RuntimeException cause) {
        corruptFrames++;
        warn("record " + frameIndex + " in the frame at offset " + frameAt
                + " does not decode (" + cause.getMessage() + "); skipping it");
        recordsLost++;
        readIndex = Math.max(readIndex, frameIndex + 1); // an eviction since it was located counted it as delivered
        if (locatedIn == meta) {
            pos = frameEnd;
        }
        locatedIn = null;
        locatedIndex = -1;
    }

    /** Whether a queue file is open or live to read from. */
    public boolean hasFileToRead() {
        fileLock.lock();
        try {
            return meta != null || !log.live.isEmpty();
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
            if (end > readIndex && log.live.isEmpty() && meta == null) {
                corruptFrames++;
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
            SegmentMeta kept = retained.peekFirst();
            if (kept != null) {
                long to = Math.max(committedIndex, kept.endIndex);
                beforeEvict.aboutToDelete(to);
                retained.pollFirst();
                committedIndex = to;
                deleteEvicted(kept);
                return 0;
            }
            SegmentMeta head = meta != null ? meta : log.live.peekFirst();
            if (head == null) {
                return -1;
            }
            // sealed is read before endIndex: once sealed, endIndex is final.
            if (!head.sealed) {
                head.abandoned = true; // the caller's next append seals it (and anyone's after that)
                return 0;
            }
            long from = Math.max(readIndex, head.firstIndex);
            if (locatedIn == head) {
                from = Math.max(from, frameIndex + 1);
            }
            long discarded = Math.max(0, head.endIndex - from);
            long to = Math.max(committedIndex, head.endIndex);
            beforeEvict.aboutToDelete(to);
            if (meta == head) {
                closeFile();
                meta = null;
            }
            SegmentMeta polled = log.live.pollFirst();
            assert polled == head;
            committedIndex = to;
            readIndex = Math.max(readIndex, head.endIndex);
            recordsEvicted += discarded;
            deleteEvicted(head);
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
        long located = locatedIndex;
        return located >= 0 && readIndex > located;
    }

    private void deleteEvicted(SegmentMeta m) {
        try {
            Files.deleteIfExists(m.path);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "hopper: cannot delete evicted queue file " + m.path + ": " + e);
        }
        log.releaseFile(m.footprint());
        filesEvicted++;
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
            if (meta == m || !log.live.contains(m)) {
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
        corruptFrames++;
        recordsLost += lost;
    }

    /** Counts records lost without damage to a file (e.g. one whose serializer failed at close). Front lock held. */
    public void countLost(long n) {
        recordsLost += n;
    }

    private void lose(long n) {
        recordsLost += n;
        readIndex += n;
    }

    /**
     * Opens the oldest live file and checks its header. A file that no longer exists, or whose
     * header is short or wrong, cannot be read: the rest of it is written off. Any other failure
     * to open it (too many open files, an I/O error) is the storage's, not the file's: it surfaces
     * as a {@link StorageException} with nothing moved, and the next call tries again.
     */
    private boolean openHead() {
        SegmentMeta head = log.live.peekFirst();
        if (head == null) {
            throw new IllegalStateException("disk stream inconsistency: record " + readIndex
                    + " was announced but no queue file is live in " + log.directory);
        }
        SegmentReader opened;
        try {
            opened = log.storage.openForRead(head.path);
        } catch (NoSuchFileException e) {
            opened = null; // removed behind the channel's back: its records are gone
        } catch (IOException e) {
            throw new StorageException("cannot open queue file " + head.path + " to read it; nothing was skipped,"
                    + " the next receive tries again", e);
        }
        meta = head;
        file = opened;
        pos = 0;
        windowLength = 0;
        unreadable = false;
        if (opened == null) {
            unreadable = true;
            return skipRestOfFile("the file no longer exists");
        }
        long readable = meta.readableEnd();
        boolean headerThere;
        try {
            headerThere = ensure(0, SegmentFormat.FILE_HEADER_BYTES, readable);
        } catch (StorageException e) {
            closeFile(); // not opened after all: the next call starts here again
            meta = null;
            throw e;
        }
        if (!headerThere) {
            unreadable = true;
            return skipRestOfFile("file shorter than its header");
        }
        String bad = SegmentFormat.checkFileHeader(window, 0, meta.sequence);
        if (bad != null) {
            unreadable = true;
            return skipRestOfFile(bad);
        }
        pos = SegmentFormat.FILE_HEADER_BYTES;
        return true;
    }

    /**
     * The frame at {@link #pos} cannot be trusted: moves to the next intact frame of the file, or,
     * if there is none, writes off the rest of the file. The records in between are counted as
     * lost by the next call, which finds the frame's index ahead of the read position.
     */
    private boolean resync(String reason, long readable) {
        long next;
        try {
            next = FrameScan.nextIntactFrame(this::readChecked, pos + 1, readable, readIndex);
        } catch (IOException e) {
            throw new StorageException("cannot read queue file " + meta.path + " after damage at offset " + pos
                    + "; nothing was skipped, the next receive tries again", e);
        }
        if (next < 0) {
            return skipRestOfFile(reason);
        }
        pos = next;
        // The scan has just read this header, so it is there to read again.
        long index = ensure(next, SegmentFormat.FRAME_HEADER_BYTES, readable)
                ? SegmentFormat.frameRecordIndex(window, (int) (next - windowStart)) : readIndex + 1;
        if (index > readIndex) { // unread records were in the damage: the next call writes them off
            corruptFrames++;
            warn(reason + "; resuming at the next intact frame, at offset " + next);
        } else { // the damage holds only records read before (met again after a restart)
            LOG.log(Level.DEBUG, "hopper: stepping over damage in " + meta.path + " that holds no unread record ("
                    + reason + ")");
        }
        return false;
    }

    /**
     * Writes off what is left of the current file: everything up to the writer's published end.
     * A sealed file is then finished; a file still being written is resumed at the writer's end.
     */
    private boolean skipRestOfFile(String reason) {
        corruptFrames++;
        boolean sealed;
        long endIndex;
        long dataEnd;
        backLock.lock();
        try {
            sealed = meta.sealed;
            endIndex = meta.endIndex;
            dataEnd = meta.dataEnd;
            if (!sealed) {
                meta.abandoned = true; // under the back lock: every later append sees it and rotates
            }
        } finally {
            backLock.unlock();
        }
        long lost = Math.max(0, endIndex - readIndex);
        warn(reason + "; " + lost + " record(s) in it cannot be recovered");
        if (lost > 0) {
            lose(lost);
        }
        if (sealed) {
            finishFile();
        } else {
            if (pos >= dataEnd && lost == 0) {
                throw new IllegalStateException("disk stream inconsistency: record " + readIndex
                        + " was announced but " + meta.path + " holds nothing more");
            }
            pos = dataEnd;
            windowLength = 0;
        }
        return false;
    }

    /**
     * Closes the fully read head file and takes it off the live list; deletes it and returns its
     * space to the budget, unless commit mode MANUAL keeps it until a commit passes it.
     *
     * @return whether it was deleted
     */
    private boolean finishFile() {
        SegmentMeta done = meta;
        closeFile();
        meta = null;
        SegmentMeta head = log.live.pollFirst();
        assert head == done;
        if (done.endIndex > committedIndex) {
            retained.addLast(done);
            return false;
        }
        delete(done);
        return true;
    }

    private void delete(SegmentMeta done) {
        try {
            // Record the position first: a restart must never look for records in a deleted file.
            beforeDelete.aboutToDelete(committedIndex);
            Files.deleteIfExists(done.path);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "hopper: cannot delete consumed queue file " + done.path + ": " + e);
        }
        log.releaseFile(done.footprint());
        log.filesDeleted.incrementAndGet();
    }

    /**
     * Makes {@code [at, at + n)} available in the window, reading no further than {@code readable}.
     *
     * @return false when the file holds fewer bytes there than the writer published (damage)
     * @throws StorageException when the file cannot be read (see {@link #readChecked}); nothing moved
     */
    private boolean ensure(long at, int n, long readable) {
        if (at >= windowStart && at + n <= windowStart + windowLength) {
            return true;
        }
        if (file == null || at + n > readable) {
            return false;
        }
        int want = (int) Math.min(Math.max(n, WINDOW), readable - at);
        windowLength = 0; // the window's old bytes are not kept if the read fails
        if (want > window.length) {
            window = new byte[want];
        } else if (window.length > 16 * WINDOW && want <= WINDOW) {
            window = new byte[WINDOW];
        }
        int got;
        try {
            got = readChecked(at, window, 0, want);
        } catch (IOException e) {
            throw new StorageException("cannot read queue file " + meta.path + " at offset " + at
                    + "; nothing was skipped, the next receive tries again", e);
        }
        windowStart = at;
        windowLength = Math.max(got, 0);
        windowReads++;
        return windowLength >= n;
    }

    /**
     * Reads the head file. A read that fails is never taken for damage at once: the file is opened
     * again and the read repeated, and only a second failure is reported (as an I/O error, not as
     * damage: the bytes may be fine, the device or the process was not).
     */
    private int readChecked(long at, byte[] dst, int off, int len) throws IOException {
        try {
            return file.read(at, dst, off, len);
        } catch (IOException first) {
            LOG.log(Level.WARNING, "hopper: reading " + meta.path + " at offset " + at + " failed (" + first
                    + "); opening it again to read once more");
            SegmentReader again = log.storage.openForRead(meta.path);
            SegmentReader old = file;
            file = again;
            try {
                old.close();
            } catch (IOException e) {
                first.addSuppressed(e);
            }
            try {
                return again.read(at, dst, off, len);
            } catch (IOException second) {
                second.addSuppressed(first);
                throw second;
            }
        }
    }

    private void closeFile() {
        SegmentReader f = file;
        file = null;
        windowLength = 0;
        blockFile = null;
        blockAt = -1;
        if (f != null) {
            try {
                f.close();
            } catch (IOException e) {
                LOG.log(Level.WARNING, "hopper: cannot close queue file: " + e);
            }
        }
    }

    private void warn(String what) {
        LOG.log(Level.WARNING, "hopper: damaged queue file " + (meta == null ? "?" : meta.path) + ": " + what);
    }

    /** Closes the open file, if any. */
    public void close() {
        fileLock.lock();
        try {
            closeFile();
            meta = null;
        } finally {
            fileLock.unlock();
        }
    }
}
