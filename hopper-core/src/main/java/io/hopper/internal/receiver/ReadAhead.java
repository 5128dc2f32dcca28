package io.hopper.internal.receiver;

import io.hopper.internal.concurrent.VarHandles;
import io.hopper.internal.codec.RecordCodec;
import io.hopper.internal.segment.Prefetcher;
import io.hopper.internal.segment.SegmentFormat;
import io.hopper.internal.segment.SegmentReader;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.concurrent.ArrayBlockingQueue;

/**
 * Decodes disk records on a helper thread ahead of the consumer.
 *
 * <p><b>A cache, not a second reader.</b> The consumer's {@code SegmentCursor} stays the only
 * thing that moves through the files: it locates every frame, checks its header, moves the read
 * position, and so decides what commit, file deletion, eviction, close and the snapshot see.
 * Read-ahead gets copies of file bytes ahead of the read position, decodes their frames (payload
 * checksum, LZ4, deserialization) on its thread, and hands a value over only when the cursor
 * locates that same frame: same file, same offset, same payload checksum. A frame not decoded in
 * time, not decodable, or never copied, the consumer decodes itself as before, so damage,
 * undecodable records and their counting take the path they always took. Values the consumer never
 * asks for (a file evicted, the channel closed) are dropped.
 *
 * <p><b>Sharing the work.</b> Each frame is decoded by exactly one thread: the helper or the
 * consumer takes it with a compare-and-set. The consumer waits for a frame only while the helper
 * is decoding it (at most one decode); a frame the helper has not begun it takes and decodes
 * itself. The helper never works behind the consumer, and when the consumer is close behind it
 * (as fast as it), jumps {@value #GAP} frames ahead, so the two decode different frames at the same
 * time. A consumer busy with its own work per record so finds everything decoded, and a bare drain
 * is split between two cores.
 *
 * <p><b>When it runs.</b> Only while the cursor reads a backlog: a window is copied when it holds
 * at least {@value #MIN_BYTES} bytes of whole frames (a quarter of a queue file, if less), and up
 * to {@value #AHEAD} windows of {@value #WINDOW} bytes are kept ahead of the consumer, read (on the
 * consumer's thread, under its file lock, through the cursor's open file) from the end of the last
 * one. A consumer that keeps up with the producers reads a few frames at a time and never hands
 * any over. The thread starts at the first window and ends with the channel.
 *
 * <p><b>Memory.</b> The window being read and at most {@value #AHEAD} windows ahead, each a copy
 * of {@value #WINDOW} bytes (the first of a run may be the cursor's own window, larger only for
 * records larger than that, up to {@value #MAX_BYTES}), one spare copy for reuse, and the records
 * decoded from those windows.
 *
 * <p><b>Threads.</b> {@link #windowRead} and {@link #ready} run on the consumer, under the front and
 * file locks, and own {@code pending}, {@code aheadStopped}, {@code spare}, {@code ready} and
 * {@code hits}. A {@link Window}'s bytes and offsets are written before it is queued for the
 * helper (the queue orders them). After that, the frame states order everything else: the helper
 * writes a value, then its state DONE (release); the consumer reads DONE (acquire), then the value.
 * {@code consumerAt} (consumer writes, release) only tells the helper where not to work, and
 * {@code helperDone} (helper writes, release) when the bytes may be reused. The helper takes no
 * channel lock, so the consumer may wait for it while it holds its own.
 */
final class ReadAhead<T> implements Prefetcher {
    private static final System.Logger LOG = System.getLogger("io.hopper");

    /** Bytes read for each window ahead. */
    static final int WINDOW = 64 * 1024;
    /**
     * A window with fewer bytes of whole frames than this is left to the consumer: it is not a
     * backlog. Smaller for small queue files: a quarter of a file, at least 256 bytes.
     */
    static final int MIN_BYTES = 16 * 1024;
    /** A cursor window larger than this (records larger than the usual window) is left to the consumer. */
    static final int MAX_BYTES = 256 * 1024;
    /** Windows kept ahead of the one the consumer reads. */
    static final int AHEAD = 2;

    /**
     * When the consumer is inside a window and the helper is fewer than this many frames ahead of
     * it, the helper jumps this far ahead instead of working where the consumer is about to: the
     * consumer decodes the frames in between itself while the helper decodes the ones after them.
     */
    static final int GAP = 32;

    /** A frame's state: nobody has it, the helper is decoding it, its value is published, the consumer took it to decode itself. */
    private static final int FREE = 0;
    private static final int HELPER = 1;
    private static final int DONE = 2;
    private static final int CONSUMER = 3;

    private static final VarHandle STATE = MethodHandles.arrayElementVarHandle(int[].class);
    private static final VarHandle CONSUMER_AT = VarHandles.field(MethodHandles.lookup(), Window.class, "consumerAt", int.class);
    private static final VarHandle HELPER_DONE = VarHandles.field(MethodHandles.lookup(), Window.class, "helperDone", boolean.class);

    /** Whole frames copied from one queue file, and what the helper made of them. */
    static final class Window {
        final long sequence;
        /** File offset of {@code bytes[0]}, a frame boundary. */
        final long start;
        final byte[] bytes;
        /** Frames in the copy; their file offsets, ascending. */
        final int frames;
        final long[] offsets;
        /** File offset just past the last whole frame. */
        final long end;
        /** Written by the helper before it sets the frame's state to DONE; null where it did not decode. */
        final Object[] values;
        /**
         * Each frame's state. FREE becomes HELPER or CONSUMER by a compare-and-set, so exactly one
         * thread decodes a frame; the helper then moves HELPER to DONE (release) after writing the
         * value, and the consumer reads DONE (acquire) before the value.
         */
        final int[] state;
        /** Frames the consumer has asked for or passed. Consumer writes (release), helper reads (acquire) to stay ahead. */
        int consumerAt;
        /** Set (release) by the helper when it no longer reads {@link #bytes}. */
        boolean helperDone;
        /** Consumer only: where to look for the next frame asked for. */
        int next;

        Window(long sequence, long start, byte[] bytes, int frames, long[] offsets, long end) {
            this.sequence = sequence;
            this.start = start;
            this.bytes = bytes;
            this.frames = frames;
            this.offsets = offsets;
            this.end = end;
            this.values = new Object[frames];
            this.state = new int[frames];
        }
    }

    private final RecordCodec<T> codec;
    private final String threadName;
    /** Windows for the helper; never blocks the consumer (a window that does not fit is not copied). */
    private final ArrayBlockingQueue<Window> work = new ArrayBlockingQueue<>(AHEAD + 1);
    /** Helper only. */
    private final RecordCodec.DecodeScratch scratch = new RecordCodec.DecodeScratch();
    /** Set by close, or by the helper when it fails; from then on the consumer decodes everything itself. */
    private volatile boolean stopped;

    /** Consumer: the helper thread, once started. */
    private Thread thread;
    /** Consumer: windows copied and not yet passed, in file order. */
    private final ArrayDeque<Window> pending = new ArrayDeque<>();
    /**
     * Consumer: reading ahead in the current run of windows stopped (damage, a frame larger than a
     * window, a read that failed); the cursor's next window outside them starts a new run. While
     * it is false, the next window ahead starts where the last pending one ends.
     */
    private boolean aheadStopped;
    /** Consumer: a window buffer given back, for the next copy. */
    private byte[] spare;
    /** Consumer: values handed over, for tests. */
    private long hits;
    /** Consumer: the value {@link #ready} confirmed, until {@link #take} hands it over. */
    private Object ready;

    /** {@link #MIN_BYTES}, or less for small files. */
    private final int minBytes;

    ReadAhead(RecordCodec<T> codec, Path directory, long fileBytes) {
        this.codec = codec;
        this.minBytes = (int) Math.min(MIN_BYTES, Math.max(256, fileBytes / 4));
        this.threadName = "hopper-read-ahead " + directory.getFileName();
    }

    @Override
    public void windowRead(long sequence, SegmentReader file, long readableEnd, byte[] window, long windowStart,
                           int length, long firstFrame) {
        if (stopped) {
            return;
        }
        dropPassed(sequence, firstFrame);
        Window head = pending.peekFirst();
        boolean covered = head != null && head.sequence == sequence && head.start <= firstFrame && firstFrame < head.end;
        if (!covered) {
            int from = (int) (firstFrame - windowStart);
            int bytes = length - from;
            if (bytes < minBytes || bytes > MAX_BYTES) {
                return;
            }
            abandonPending(); // windows elsewhere in the stream: the cursor moved past them or away
            Window w = copy(sequence, firstFrame, window, from, bytes);
            if (w == null || !offer(w)) {
                return;
            }
            aheadStopped = false;
        }
        topUp(sequence, file, readableEnd);
    }

    @Override
    public boolean ready(long sequence, SegmentReader file, long readableEnd, long offset, int payloadCrc) {
        ready = null;
        if (pending.isEmpty()) {
            return false;
        }
        dropPassed(sequence, offset);
        Window w = pending.peekFirst();
        if (w == null || w.sequence != sequence || offset < w.start) {
            return false;
        }
        int k = w.next;
        while (k < w.frames && w.offsets[k] < offset) {
            k++;
        }
        if (k == w.frames || w.offsets[k] != offset) {
            return false; // not a frame boundary of the copy (the cursor resynchronized after damage)
        }
        w.next = k + 1;
        CONSUMER_AT.setRelease(w, k + 1);
        boolean hit = false;
        if (awaitHelper(w, k)) {
            Object v = w.values[k];
            w.values[k] = null;
            int crc = SegmentFormat.framePayloadCrc(w.bytes, (int) (offset - w.start));
            if (v != null && crc == payloadCrc) {
                ready = v;
                hit = true;
            }
        }
        topUp(sequence, file, readableEnd);
        return hit;
    }

    /** The value {@link #ready} confirmed. */
    @SuppressWarnings("unchecked")
    T take() {
        Object v = ready;
        if (v == null) {
            throw new IllegalStateException("no value decoded ahead is ready");
        }
        ready = null;
        hits++;
        return (T) v;
    }

    long hits() {
        return hits;
    }

    /**
     * Whether frame {@code k}'s value is published: at once if it is, after the helper finishes it
     * if the helper is decoding it (a wait of at most one decode, never for work not begun), and
     * {@code false} if the helper has not begun it, which then is the consumer's to decode.
     */
    private boolean awaitHelper(Window w, int k) {
        for (;;) {
            int st = (int) STATE.getAcquire(w.state, k);
            if (st == DONE) {
                return true;
            }
            if (st == FREE && STATE.compareAndSet(w.state, k, FREE, CONSUMER)) {
                return false;
            }
            if (st == CONSUMER || stopped) {
                return false; // asked again after a failed locate; or the helper is gone
            }
            Thread.onSpinWait();
        }
    }

    /** Forgets windows wholly behind the consumer, telling the helper to skip what it has not decoded. */
    private void dropPassed(long sequence, long offset) {
        for (Window w = pending.peekFirst(); w != null; w = pending.peekFirst()) {
            if (w.sequence > sequence || (w.sequence == sequence && w.end > offset)) {
                return;
            }
            CONSUMER_AT.setRelease(w, w.frames);
            pending.pollFirst();
            if ((boolean) HELPER_DONE.getAcquire(w)) {
                spare = w.bytes; // the helper no longer reads it
            }
        }
    }

    private void abandonPending() {
        for (Window w : pending) {
            CONSUMER_AT.setRelease(w, w.frames);
        }
        pending.clear();
    }

    /** Keeps {@value #AHEAD} windows ahead of the one the consumer reads, while the file holds enough. */
    private void topUp(long sequence, SegmentReader file, long readableEnd) {
        for (Window last = pending.peekLast(); last != null && last.sequence == sequence && !aheadStopped
                && pending.size() <= AHEAD && readableEnd - last.end >= minBytes && !stopped; last = pending.peekLast()) {
            byte[] buf = takeSpare(WINDOW);
            int want = (int) Math.min(WINDOW, readableEnd - last.end);
            int got;
            try {
                got = file.read(last.end, buf, 0, want);
            } catch (IOException e) {
                got = -1; // the cursor meets the same failure itself and reports it
            }
            Window w = got < minBytes ? null : frames(sequence, last.end, buf, got);
            if (w == null || !offer(w)) {
                spare = buf;
                aheadStopped = true; // damage, a frame larger than a window, or a failed read
                return;
            }
        }
    }

    private byte[] takeSpare(int n) {
        byte[] b = spare;
        spare = null;
        return b != null && b.length >= n ? b : new byte[Math.max(n, WINDOW)];
    }

    private Window copy(long sequence, long start, byte[] src, int from, int bytes) {
        byte[] buf = takeSpare(bytes);
        System.arraycopy(src, from, buf, 0, bytes);
        return frames(sequence, start, buf, bytes);
    }

    /**
     * Finds the whole single-record frames in {@code b[0, n)}, which starts at a frame boundary, up
     * to the first END or block frame (a block is decoded by the consumer, once for all its
     * records); null if none.
     */
    private static Window frames(long sequence, long start, byte[] b, int n) {
        long[] offsets = new long[Math.max(1, n / (SegmentFormat.FRAME_HEADER_BYTES + 1))];
        int count = 0;
        int p = 0;
        while (p + SegmentFormat.FRAME_HEADER_BYTES <= n && SegmentFormat.frameWellFormed(b, p, n - p)
                && (SegmentFormat.frameFlags(b, p) & (SegmentFormat.FLAG_END | SegmentFormat.FLAG_BLOCK)) == 0) {
            int next = p + SegmentFormat.FRAME_HEADER_BYTES + SegmentFormat.framePayloadLength(b, p);
            if (next > n) {
                break;
            }
            offsets[count++] = start + p;
            p = next;
        }
        return count == 0 ? null : new Window(sequence, start, b, count, offsets, start + p);
    }

    private boolean offer(Window w) {
        if (!work.offer(w)) {
            return false;
        }
        pending.addLast(w);
        if (thread == null) {
            thread = new Thread(this::run, threadName);
            thread.setDaemon(true);
            thread.start();
        }
        return true;
    }

    private void run() {
        try {
            while (!stopped) {
                decode(work.take());
            }
        } catch (InterruptedException e) {
            // closed
        } catch (Throwable t) {
            LOG.log(Level.WARNING, "hopper: " + threadName + " stopped; the consumer decodes on its own thread from now on", t);
        } finally {
            stopped = true;
        }
    }

    /**
     * Decodes the frames of one window ahead of the consumer, publishing each. Never works behind
     * the consumer, and when the consumer is close behind it (a consumer as fast as it), jumps
     * {@value #GAP} frames ahead so that the two decode different frames at the same time.
     */
    private void decode(Window w) {
        byte[] b = w.bytes;
        try {
            for (int k = 0; k < w.frames && !stopped; k++) {
                int c = (int) CONSUMER_AT.getAcquire(w);
                if (c > 0 && k < c + GAP) {
                    k = c + GAP; // the consumer is here: leave it the next GAP frames
                    if (k >= w.frames) {
                        break;
                    }
                }
                if (!STATE.compareAndSet(w.state, k, FREE, HELPER)) {
                    continue; // the consumer took it
                }
                Object value = null;
                int p = (int) (w.offsets[k] - w.start);
                int len = SegmentFormat.framePayloadLength(b, p);
                int payloadAt = p + SegmentFormat.FRAME_HEADER_BYTES;
                try {
                    if (SegmentFormat.crc(b, payloadAt, len) == SegmentFormat.framePayloadCrc(b, p)) {
                        value = codec.decode(b, payloadAt, len, SegmentFormat.frameForm(b, p), scratch);
                    }
                } catch (RuntimeException e) {
                    value = null; // the consumer meets the same failure itself and counts it
                } finally {
                    w.values[k] = value;
                    STATE.setRelease(w.state, k, DONE); // also after an Error: the consumer must not wait for it
                }
            }
        } finally {
            HELPER_DONE.setRelease(w, true);
        }
    }

    /** Stops the helper; values not handed over are dropped. Front lock held. */
    void close() {
        stopped = true;
        Thread t = thread;
        if (t != null) {
            t.interrupt();
        }
        work.clear();
        pending.clear();
        ready = null;
        spare = null;
    }
}
