package io.hopper.internal.segment;

import io.hopper.internal.codec.RecordCodec;
import io.hopper.internal.codec.PayloadCodec;
import io.hopper.CorruptDataException;
import io.hopper.internal.codec.Lz4BlockCompressor;
import io.hopper.internal.file.DirectorySync;
import io.hopper.internal.file.FileWindow;
import io.hopper.internal.file.InterruptSafeChannel;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.concurrent.LinkedBlockingDeque;

/**
 * Rewrites sealed queue files in shared LZ4 blocks ({@code Compression.LZ4_BLOCKS}), on a thread of
 * its own, so that a backlog of small records takes a fraction of the disk. Records are written
 * and read one frame each while a file is being filled, so every record is receivable as soon as
 * its send returns and is as durable as the sync policy makes it; only a sealed file, which
 * nothing writes any more, is rewritten.
 *
 * <p>A rewrite reads the file, checking every checksum, packs its records in order into blocks of
 * about 64 KiB ({@link RecordBlock}; a record over a quarter of that keeps its own frame), writes
 * them with the same record indices and the same END frame into {@code <name>.compacting} beside it,
 * forces that (unless the sync policy is {@code NONE}), and renames it over the original under the
 * cursor's file lock, only if the consumer has not opened the file ({@link SegmentCursor#swapIfUnread}).
 * Positions are record indices, so a commit, a restart or an eviction finds the same records in
 * either version of the file. A file with damage in it, or one that would shrink by less than an
 * eighth, is left as it is. A crash at any point leaves the original or the rewritten file, both
 * whole; a leftover {@code .compacting} file is deleted at open ({@link SegmentRecovery}).
 *
 * <p>The newest sealed file is rewritten first: it is the one the consumer reaches last. The
 * budget keeps one file's share free for the rewrite's copy ({@link SegmentLog#reserveFile()}).
 *
 * <p>Threads: {@link #submit} is called under the back lock (a seal) or before the channel is
 * published (recovered files); the work runs on the compactor's thread, which takes the file lock
 * only for the swap, and nothing else of the channel's. {@link #close()} runs before the channel
 * takes its locks to close. The thread stops only at {@link #close()}: an interrupt (from code that
 * interrupts every thread it finds) neither stops it nor breaks a rewrite, whose files are
 * {@link InterruptSafeChannel}s.
 */
public final class SegmentCompactor implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("io.hopper");
    /** Suffix of a rewrite in progress. */
    public static final String TMP_SUFFIX = ".compacting";
    /** A record larger than this keeps its own frame (it gains little from its neighbours). */
    static final int OWN_FRAME_BYTES = RecordBlock.TARGET_RAW_BYTES / 4;
    private static final int IO_CHUNK = 256 * 1024;
    private static final SegmentMeta STOP = new SegmentMeta(-1, Path.of(""), 0, 0);

    private final SegmentLog log;
    private final SegmentCursor cursor;
    private final boolean force;
    private final Runnable roomFreed;
    /** Sealed files waiting, oldest first; taken from the newest end. */
    private final LinkedBlockingDeque<SegmentMeta> queue = new LinkedBlockingDeque<>();
    /** Set once by close(); the thread checks it between frames. */
    private volatile boolean closed;
    /** Started at the first submit; guarded by {@code this}. */
    private Thread thread;

    // The thread's own state (confined to it).
    private final Lz4BlockCompressor compressor = new Lz4BlockCompressor();
    private final RecordBlock block = new RecordBlock();
    /** The file being rewritten, read through one buffer. */
    private final FileWindow in = new FileWindow(IO_CHUNK);
    private byte[] out = new byte[IO_CHUNK + RecordBlock.TARGET_RAW_BYTES * 2];
    private int outLength;
    /** Decodes single-record payloads before they are packed into a block. Compactor thread only. */
    private final RecordCodec.DecodeScratch scratch = new RecordCodec.DecodeScratch();
    /** Index of the open block's first record. */
    private long blockFirst;
    /** The open block's records' form bits ({@link SegmentFormat#FLAG_FORM_BITS}); the block frame carries them. */
    private int blockForm;

    /**
     * @param force     force the rewritten file and the directory (any sync policy but {@code NONE})
     * @param roomFreed called after a rewrite returned bytes to the budget (wakes waiting producers)
     */
    public SegmentCompactor(SegmentLog log, SegmentCursor cursor, boolean force, Runnable roomFreed) {
        this.log = log;
        this.cursor = cursor;
        this.force = force;
        this.roomFreed = roomFreed;
    }

    /** Queues a sealed file for rewriting; files already in blocks are ignored. */
    public void submit(SegmentMeta m) {
        if (closed || m.compacted) {
            return;
        }
        queue.addLast(m);
        synchronized (this) {
            if (thread == null && !closed) {
                thread = new Thread(this::run, "hopper-compactor " + log.directory);
                thread.setDaemon(true);
                thread.start();
            }
        }
    }

    /** Queues every sealed live file not yet in blocks (those an earlier run left), oldest first. */
    public void submitLive() {
        for (SegmentMeta m : log.live) {
            if (m.sealed) {
                submit(m);
            }
        }
    }

    private void run() {
        for (;;) {
            SegmentMeta m;
            try {
                m = queue.takeLast();
            } catch (InterruptedException e) {
                continue; // not a stop: close() queues STOP
            }
            if (m == STOP || closed) {
                return;
            }
            if (log.live.peekFirst() == m || !log.live.contains(m)) {
                continue; // the consumer reads it next (not worth rewriting), or it is gone
            }
            Path tmp = m.path.resolveSibling(m.path.getFileName() + TMP_SUFFIX);
            try {
                compact(m, tmp);
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.WARNING, "hopper: cannot rewrite queue file " + m.path + " in blocks; it stays as it is: " + e);
            } finally {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException e) {
                    LOG.log(Level.WARNING, "hopper: cannot delete " + tmp + ": " + e);
                }
            }
        }
    }

    private void compact(SegmentMeta m, Path tmp) throws IOException {
        long oldFootprint = m.footprint(); // sealed: final until the swap below
        long readable = m.readableEnd();
        long newDataEnd;
        try (InterruptSafeChannel src = InterruptSafeChannel.open(m.path, StandardOpenOption.READ)) {
            in.reset(src);
            if (!in.ensure(0, SegmentFormat.FILE_HEADER_BYTES, readable)
                    || SegmentFormat.checkFileHeader(in.array(), 0, m.sequence) != null
                    || SegmentFormat.fileVersion(in.array(), 0) != SegmentFormat.VERSION) {
                return; // unreadable (the reader counts it), or already in blocks
            }
            newDataEnd = rewrite(m, readable, tmp);
            if (newDataEnd < 0) {
                return;
            }
        }
        long newFootprint = newDataEnd + SegmentFormat.END_FRAME_BYTES;
        if (newFootprint > oldFootprint - oldFootprint / 8) {
            LOG.log(Level.DEBUG, "hopper: " + m.path + " would shrink from " + oldFootprint + " to " + newFootprint
                    + " bytes only; not rewritten");
            return;
        }
        boolean swapped = cursor.swapIfUnread(m, () -> {
            // A rename is a single system call, not an interruptible channel operation.
            Files.move(tmp, m.path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            m.dataEnd = newDataEnd;
            m.compacted = true;
            log.bytes.addAndGet(newFootprint - oldFootprint);
        });
        if (!swapped) {
            return;
        }
        if (force) {
            DirectorySync.force(log.directory);
        }
        log.filesCompacted.incrementAndGet();
        log.bytesSavedByCompaction.addAndGet(oldFootprint - newFootprint);
        roomFreed.run();
    }

    /**
     * Writes the blocks of {@code m}, read through {@link #in}, into {@code tmp}, its {@code .compacting} file.
     *
     * @return the rewritten file's data end (where its END frame is), or -1 when the file is left
     *         as it is (damage, a shape the rewrite does not expect, or close)
     */
    private long rewrite(SegmentMeta m, long readable, Path tmp) throws IOException {
        try (InterruptSafeChannel dst = InterruptSafeChannel.open(tmp, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            long written = 0;
            outLength = SegmentFormat.FILE_HEADER_BYTES;
            SegmentFormat.writeFileHeader(out, m.sequence, SegmentFormat.BLOCK_VERSION);
            block.clear();
            long expect = m.firstIndex;
            long pos = SegmentFormat.FILE_HEADER_BYTES;
            final int h = SegmentFormat.FRAME_HEADER_BYTES;
            for (;;) {
                if (closed || !in.ensure(pos, h, readable)) {
                    return -1;
                }
                byte[] b = in.array();
                int at = in.offset(pos);
                if (!SegmentFormat.frameWellFormed(b, at, readable - pos)) {
                    return -1;
                }
                int flags = SegmentFormat.frameFlags(b, at);
                long index = SegmentFormat.frameRecordIndex(b, at);
                if ((flags & SegmentFormat.FLAG_END) != 0) {
                    if (index != expect || index != m.endIndex) {
                        return -1;
                    }
                    flushBlock();
                    long dataEnd = written + outLength;
                    SegmentFormat.writeFrameHeader(out, outLength, 0, 0, SegmentFormat.FLAG_END, 0, index);
                    outLength += SegmentFormat.END_FRAME_BYTES;
                    written = drain(dst, written);
                    if (force) {
                        dst.force(true);
                    }
                    return dataEnd;
                }
                int len = SegmentFormat.framePayloadLength(b, at);
                if ((flags & SegmentFormat.FLAG_BLOCK) != 0 || index != expect || !in.ensure(pos, h + len, readable)) {
                    return -1;
                }
                b = in.array(); // the frame may have been read afresh
                at = in.offset(pos);
                if (SegmentFormat.crc(b, at + h, len) != SegmentFormat.framePayloadCrc(b, at)) {
                    return -1; // damage stays where the reader counts it exactly
                }
                PayloadCodec codec;
                try {
                    codec = PayloadCodec.byId(SegmentFormat.codecOf(flags));
                } catch (CorruptDataException e) {
                    return -1; // a codec this build does not know: the file stays as it is
                }
                int rawLen = codec.rawLength(b, at + h, len);
                if (rawLen < 0) {
                    return -1;
                }
                if (rawLen > OWN_FRAME_BYTES) {
                    flushBlock();
                    room(h + len);
                    System.arraycopy(b, at, out, outLength, h + len); // the frame as it is
                    outLength += h + len;
                } else {
                    int form = flags & SegmentFormat.FLAG_FORM_BITS;
                    if (block.count() > 0 && (block.rawLength() + 5 + rawLen > RecordBlock.TARGET_RAW_BYTES
                            || block.count() == SegmentFormat.MAX_BLOCK_RECORDS || form != blockForm)) {
                        flushBlock(); // a block's records share one form: a change of form starts a new one
                    }
                    if (block.count() == 0) {
                        blockFirst = index;
                        blockForm = form;
                    }
                    if (codec == PayloadCodec.STORED) {
                        block.add(b, at + h, len);
                    } else {
                        try {
                            if (codec.decode(b, at + h, len, scratch) != rawLen) {
                                return -1;
                            }
                        } catch (CorruptDataException e) {
                            return -1; // damage stays where the reader counts it exactly
                        }
                        block.add(scratch.bytes(), 0, rawLen);
                    }
                }
                if (outLength >= IO_CHUNK) {
                    written = drain(dst, written);
                }
                expect = index + 1;
                pos += h + len;
            }
        }
    }

    /** Appends the open block, if any, as a frame to the output. */
    private void flushBlock() {
        if (block.count() == 0) {
            return;
        }
        int h = SegmentFormat.FRAME_HEADER_BYTES;
        room(h + block.maxPayloadLength());
        int payloadLength = block.writePayload(compressor, out, outLength + h);
        int crc = SegmentFormat.crc(out, outLength + h, payloadLength);
        SegmentFormat.writeFrameHeader(out, outLength, payloadLength, crc,
                SegmentFormat.FLAG_COMPRESSED | SegmentFormat.FLAG_BLOCK | blockForm, block.count(), blockFirst);
        outLength += h + payloadLength;
        block.clear();
    }

    private void room(int n) {
        if (outLength + n > out.length) {
            out = Arrays.copyOf(out, Math.max(outLength + n, out.length * 2));
        }
    }

    private long drain(InterruptSafeChannel dst, long written) throws IOException {
        dst.write(written, out, 0, outLength);
        long total = written + outLength;
        outLength = 0;
        return total;
    }

    /** Stops the thread (a rewrite under way is abandoned, its copy deleted) and waits for it. */
    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            t = thread;
        }
        queue.clear();
        queue.addLast(STOP);
        if (t != null) {
            boolean interrupted = false;
            for (;;) {
                try {
                    t.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
