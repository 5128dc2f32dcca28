package io.hopper.internal.segment;

import io.hopper.StorageException;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.NoSuchFileException;
import java.util.concurrent.locks.Lock;

/**
 * The cursor's reading state machine: opens the head file and checks its header, locates the
 * frame of the record at the read index (a single frame, or a record inside a block frame, held
 * decoded until its last record is consumed), steps over damage exactly (resynchronising at the
 * next intact frame, or writing off the rest of the file), and finishes a file read to its END.
 * The read index itself, and what a record or damage costs it, belong to {@link SegmentCursor}.
 *
 * <p>Guarded: the cursor's file lock, for every field and method (the consumer takes it inside
 * the front lock; a producer evicting the head file closes it under the file lock alone).
 */
final class HeadReader {
    private static final System.Logger LOG = System.getLogger("io.hopper");

    private final SegmentCursor cursor;
    private final SegmentLog log;
    /** The back lock: taken (front, file, then back) only to read a file's bookkeeping consistently after damage. */
    private final Lock backLock;
    private final HeadFiles headFiles;
    private final DamageLedger damage;

    HeadReader(SegmentCursor cursor, SegmentLog log, Lock backLock, HeadFiles headFiles, DamageLedger damage) {
        this.cursor = cursor;
        this.log = log;
        this.backLock = backLock;
        this.headFiles = headFiles;
        this.damage = damage;
        this.win = new HeadWindow(log.storage);
        this.payloadArray = win.bytes;
    }

    // Reading state. Guarded: fileLock (taken inside the front lock by the consumer).
    /** The head file being read, or null before it is opened. */
    SegmentMeta meta;
    /** The head file's handle and the window of its bytes. */
    final HeadWindow win;
    /** The head file could not be opened or has no valid header. */
    private boolean unreadable;
    /** Offset of the next frame in the head file. */
    long pos;
    // The frame located by the last successful locate(): its bytes stay in the window (nobody
    // else fills it) even if a producer evicts its file before the consumer takes it.
    /** The file of the located frame until it is consumed or written off; null when none is located. */
    SegmentMeta locatedIn;
    /** The located frame's index, -1 when none. Written with {@link #locatedIn}; volatile for size(). */
    volatile long locatedIndex = -1;
    /** The array holding the located record's payload: the window, or the decoded block. */
    byte[] payloadArray;
    int payloadOffset;
    int payloadLength;
    /** The located payload's form: codec id and form bits (codec 0 inside a held block: its records are decompressed). */
    int codec;
    long frameIndex;
    /** Offset of the frame holding the located record. */
    private long frameAt;
    /** Where reading goes on once the located record is consumed: past its frame, or (inside a block) the block again. */
    long frameEnd;
    /** Frame bytes counted in {@code SegmentCursor.bytesRead} when the located record is consumed (a block's, with its last record). */
    int frameBytes;
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
    /** The held block's form bits (its records' form: decompressed, so codec 0). */
    private int blockForm;
    private long blockNext;
    private int blockFrameBytes;
    /** Set once by the receiver before the channel is published; null when reading ahead is off. */
    Prefetcher prefetcher;
    /** Guarded: fileLock. {@link HeadWindow#reads} when the prefetcher last saw a window. */
    private long windowsOffered;
    /** The located frame's value was decoded ahead (its payload checksum was verified there). */
    boolean locatedPrefetched;

    /** {@link SegmentCursor#locate}'s work, with the file lock held and the read index as the caller expected. */
    boolean nextFrameLocked() {
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
        if (pos + SegmentFormat.FRAME_HEADER_BYTES > readable || !win.ensure(pos, SegmentFormat.FRAME_HEADER_BYTES, readable)) {
            return skipRestOfFile("file ends before offset " + (pos + SegmentFormat.FRAME_HEADER_BYTES));
        }
        byte[] window = win.bytes;
        int h = (int) (pos - win.start);
        if (!SegmentFormat.frameWellFormed(window, h, readable - pos)) {
            return resync("frame header at offset " + pos + " fails its checks (checksum, shape or length)", readable);
        }
        int flags = SegmentFormat.frameFlags(window, h);
        int len = SegmentFormat.framePayloadLength(window, h);
        long index = SegmentFormat.frameRecordIndex(window, h);
        int crc = SegmentFormat.framePayloadCrc(window, h);
        if ((flags & SegmentFormat.FLAG_END) != 0) {
            if (index > cursor.readIndex) {
                cursor.lose(index - cursor.readIndex);
            }
            finishFile();
            return false;
        }
        long end = pos + SegmentFormat.FRAME_HEADER_BYTES + len;
        if (!win.ensure(pos, SegmentFormat.FRAME_HEADER_BYTES + len, readable)) {
            return skipRestOfFile("file ends inside the frame at offset " + pos);
        }
        window = win.bytes; // ensure may have grown it
        h = (int) (pos - win.start);
        int payloadAt = h + SegmentFormat.FRAME_HEADER_BYTES;
        locatedPrefetched = false;
        if ((flags & SegmentFormat.FLAG_BLOCK) != 0) {
            return locateInBlock(index, SegmentFormat.frameRecordCount(window, h), payloadAt, len, crc, end,
                    flags & SegmentFormat.FLAG_FORM_BITS);
        }
        if (prefetcher != null) {
            if (windowsOffered != win.reads) {
                windowsOffered = win.reads;
                prefetcher.windowRead(meta.sequence, win.file, readable, window, win.start, win.length, pos);
            }
            // A value decoded ahead comes from a payload that passed this same checksum there.
            locatedPrefetched = index == cursor.readIndex && prefetcher.ready(meta.sequence, win.file, readable, pos, crc);
        }
        if (!locatedPrefetched && SegmentFormat.crc(window, payloadAt, len) != crc) {
            damage.frame();
            warn("payload checksum mismatch at offset " + pos + "; skipping 1 record");
            if (index >= cursor.readIndex) {
                cursor.lose(index + 1 - cursor.readIndex);
            }
            pos = end;
            return false;
        }
        if (index < cursor.readIndex) { // already delivered or written off: step over it
            pos = end;
            return false;
        }
        if (index > cursor.readIndex) {
            // Records before this one are gone (cut from a damaged file). Write them off, but do
            // not deliver this one yet: it may lie past what the caller may read (a memory
            // snapshot's marker announces it later), so the caller must look at the new position
            // first. The next call finds this frame again, now at the read position.
            cursor.lose(index - cursor.readIndex);
            return false;
        }
        payloadArray = window;
        payloadOffset = payloadAt;
        payloadLength = len;
        codec = SegmentFormat.formOf(flags);
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
    private boolean locateInBlock(long index, int count, int payloadAt, int len, int crc, long end, int form) {
        long blockEnd = index + count;
        if (blockEnd <= cursor.readIndex) { // delivered or written off before: step over it
            pos = end;
            return false;
        }
        byte[] window = win.bytes;
        if (SegmentFormat.crc(window, payloadAt, len) != crc) {
            damage.frame();
            warn("payload checksum mismatch in the block at offset " + pos + "; skipping "
                    + (blockEnd - Math.max(index, cursor.readIndex)) + " record(s)");
            cursor.lose(blockEnd - cursor.readIndex);
            pos = end;
            return false;
        }
        if (index > cursor.readIndex) {
            cursor.lose(index - cursor.readIndex); // as for a single frame: the caller looks at the new position first
            return false;
        }
        try {
            block.read(window, payloadAt, len, count);
        } catch (RecordBlock.MalformedBlockException e) {
            damage.frame();
            warn("the block at offset " + pos + " is malformed (" + e.getMessage() + "); skipping "
                    + (blockEnd - cursor.readIndex) + " record(s)");
            cursor.lose(blockEnd - cursor.readIndex);
            pos = end;
            return false;
        }
        blockFile = meta;
        blockAt = pos;
        blockFirst = index;
        blockForm = form;
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
        int k = (int) (cursor.readIndex - blockFirst);
        assert k >= 0 && k < block.count() : "read index " + cursor.readIndex + " outside the held block at " + blockFirst;
        boolean last = k == block.count() - 1;
        payloadArray = block.array();
        payloadOffset = block.offset(k);
        payloadLength = block.length(k);
        codec = blockForm;
        frameIndex = cursor.readIndex;
        frameAt = blockAt;
        frameEnd = last ? blockNext : blockAt;
        frameBytes = last ? blockFrameBytes : 0;
        locatedIn = meta;
        locatedIndex = cursor.readIndex;
        return true;
    }

    void undecodableLocked(RuntimeException cause) {
        damage.frame();
        damage.lost(1);
        warn("record " + frameIndex + " in the frame at offset " + frameAt
                + " does not decode (" + cause.getMessage() + "); skipping it");
        cursor.readIndex = Math.max(cursor.readIndex, frameIndex + 1); // an eviction since it was located counted it as delivered
        if (locatedIn == meta) {
            pos = frameEnd;
        }
        locatedIn = null;
        locatedIndex = -1;
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
            throw new IllegalStateException("disk stream inconsistency: record " + cursor.readIndex
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
        win.open(opened, head.path);
        pos = 0;
        unreadable = false;
        if (opened == null) {
            unreadable = true;
            return skipRestOfFile("the file no longer exists");
        }
        long readable = meta.readableEnd();
        boolean headerThere;
        try {
            headerThere = win.ensure(0, SegmentFormat.FILE_HEADER_BYTES, readable);
        } catch (StorageException e) {
            closeFile(); // not opened after all: the next call starts here again
            meta = null;
            throw e;
        }
        if (!headerThere) {
            unreadable = true;
            return skipRestOfFile("file shorter than its header");
        }
        String bad = SegmentFormat.checkFileHeader(win.bytes, 0, meta.sequence);
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
            next = FrameScan.nextIntactFrame(win::readChecked, pos + 1, readable, cursor.readIndex);
        } catch (IOException e) {
            throw new StorageException("cannot read queue file " + meta.path + " after damage at offset " + pos
                    + "; nothing was skipped, the next receive tries again", e);
        }
        if (next < 0) {
            return skipRestOfFile(reason);
        }
        pos = next;
        // The scan has just read this header, so it is there to read again.
        long index = win.ensure(next, SegmentFormat.FRAME_HEADER_BYTES, readable)
                ? SegmentFormat.frameRecordIndex(win.bytes, (int) (next - win.start)) : cursor.readIndex + 1;
        if (index > cursor.readIndex) { // unread records were in the damage: the next call writes them off
            damage.frame();
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
        damage.frame();
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
        long lost = Math.max(0, endIndex - cursor.readIndex);
        warn(reason + "; " + lost + " record(s) in it cannot be recovered");
        if (lost > 0) {
            cursor.lose(lost);
        }
        if (sealed) {
            finishFile();
        } else {
            if (pos >= dataEnd && lost == 0) {
                throw new IllegalStateException("disk stream inconsistency: record " + cursor.readIndex
                        + " was announced but " + meta.path + " holds nothing more");
            }
            pos = dataEnd;
            win.invalidate();
        }
        return false;
    }

    /**
     * Closes the fully read head file and takes it off the live list; deletes it and returns its
     * space to the budget, unless commit mode MANUAL keeps it until a commit passes it.
     *
     * @return whether it was deleted
     */
    boolean finishFile() {
        SegmentMeta done = meta;
        closeFile();
        meta = null;
        SegmentMeta head = log.live.pollFirst();
        assert head == done;
        return headFiles.finished(done);
    }

    void closeFile() {
        win.close();
        blockFile = null;
        blockAt = -1;
    }

    private void warn(String what) {
        LOG.log(Level.WARNING, "hopper: damaged queue file " + (meta == null ? "?" : meta.path) + ": " + what);
    }
}
