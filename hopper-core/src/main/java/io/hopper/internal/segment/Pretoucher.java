package io.hopper.internal.segment;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Faults in the pages of the queue file being written ahead of the producers, on a thread of its
 * own, so that a spilled send finds its bytes' page already mapped. On a mapped file the first
 * write to each page stops the writing thread in the kernel (a page fault that allocates the
 * file's block: about 7 &micro;s per 4 KiB page on the development machine's ext4, so ~40 small
 * records pay it once), and producers write under the back lock, so every producer waits for it.
 * This thread pays it instead, at most {@link #WINDOW} bytes ahead of the last append.
 *
 * <p>Only where nothing forces the files ({@code SyncPolicy.NONE}, the default): a touched page is
 * dirty, and a force would write its zeros to the device once before the records that fill it
 * later, up to twice the writes under a force every second; without forces, the kernel writes a
 * page back about 30 s after it was first dirtied, by which time the records have filled it.
 *
 * <p>Touching never changes a byte ({@link SegmentWriter#pretouch}); a file is touched only while
 * it is being written (a sealed or closed file refuses, under its own monitor); the pages touched
 * ahead of the data hold zeros, exactly what an unwritten region of the sparse file reads as, so
 * recovery after a crash sees the same file either way. The file may have up to {@link #WINDOW}
 * bytes allocated beyond its data until it is sealed and trimmed, within the capacity whose space
 * was checked when it was created.
 *
 * <h2>Threads and fields</h2>
 * Producers call {@link #start} and {@link #advance} under the back lock; the toucher thread is
 * the only other. A {@link Target} is one file: {@code wanted} (how far the producers want it
 * touched) is written by producers (back lock, volatile store) and read by the toucher;
 * {@code touched} (how far it is) is the toucher's own, volatile only for {@link #touched()}
 * (tests); producers decide from {@code wanted} alone. A producer raises {@code wanted}, then unparks the toucher; the toucher compares
 * {@code touched} with {@code wanted} before it parks; {@code LockSupport}'s permit makes an unpark
 * that comes first end the next park at once, so no request is slept through.
 */
public final class Pretoucher implements AutoCloseable {
    /** How far ahead of the last append pages are touched. */
    static final long WINDOW = 1L << 20;
    /** A producer asks for more when the touched region ends less than this far ahead of it. */
    static final long LOW_WATER = WINDOW / 2;
    /** Touched under one hold of the file's monitor (a seal waits for at most this much). */
    static final long CHUNK = 64L << 10;

    /** One file being written. */
    static final class Target {
        final SegmentWriter file;
        final long limit;
        /** Writer: producers (back lock), volatile. Read by the toucher. */
        volatile long wanted;
        /** Writer: the toucher, volatile. Read by the toucher and {@link Pretoucher#touched()} (tests). */
        volatile long touched;

        Target(SegmentWriter file, long from, long limit) {
            this.file = file;
            this.limit = limit;
            this.touched = from;
            this.wanted = Math.min(limit, from + WINDOW);
        }
    }

    private final String threadName;
    /** Immutable: whether files are touched at all. */
    private final boolean enabled;
    /** The file being written, or null. Writer: producers (back lock), volatile; read by the toucher. */
    private volatile Target target;
    /** Set once by close(). */
    private volatile boolean closed;
    /** Started at the first {@link #start}; written under {@code this}, volatile for producers' unpark. */
    private volatile Thread thread;

    /**
     * @param threadName the thread's name
     * @param enabled    false: never start the thread, touch nothing (the files are forced)
     */
    public Pretoucher(String threadName, boolean enabled) {
        this.threadName = threadName;
        this.enabled = enabled;
    }

    /**
     * A new file is being written from {@code from} on, up to {@code limit} bytes: touch its pages
     * ahead of the appends. Caller holds the back lock.
     */
    void start(SegmentWriter file, long from, long limit) {
        if (!enabled || closed || !file.pretouchable()) {
            target = null;
            return;
        }
        target = new Target(file, from, limit);
        Thread t = thread;
        if (t == null) {
            t = startThread();
        }
        LockSupport.unpark(t);
    }

    private synchronized Thread startThread() {
        Thread t = thread;
        if (t == null && !closed) {
            t = new Thread(this::run, threadName);
            t.setDaemon(true);
            thread = t;
            t.start();
        }
        return t;
    }

    /** The current file's appends end at {@code end}: ask for more pages when they near the touched ones. Back lock. */
    void advance(long end) {
        Target t = target;
        if (t != null && end + LOW_WATER > t.wanted && t.wanted < t.limit) {
            t.wanted = Math.min(t.limit, end + WINDOW);
            LockSupport.unpark(thread);
        }
    }

    /** The current file is sealed or abandoned: nothing to touch until the next {@link #start}. Back lock. */
    void stop() {
        target = null;
    }

    /** How far the current file is touched, or -1 without one. For tests. */
    long touched() {
        Target t = target;
        return t == null ? -1 : t.touched;
    }

    private void run() {
        while (!closed) {
            Target t = target;
            if (t != null && t.touched < t.wanted) {
                // Pages more than a window behind what is wanted are behind the producers already.
                long from = Math.max(t.touched, t.wanted - WINDOW);
                long to = Math.min(t.wanted, from + CHUNK);
                t.touched = t.file.pretouch(from, to) ? to : t.limit; // refused: sealed, closed or failed
                continue;
            }
            LockSupport.park(this);
            Thread.interrupted(); // nobody should interrupt this thread; if someone does, it must not spin
        }
    }

    /** Stops the thread and waits for it (it holds no lock but a file's monitor, briefly). */
    @Override
    public void close() {
        closed = true;
        target = null;
        Thread t;
        synchronized (this) {
            t = thread;
        }
        if (t != null) {
            LockSupport.unpark(t);
            boolean interrupted = false;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (t.isAlive() && System.nanoTime() - deadline < 0) {
                try {
                    t.join(TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()) + 1);
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
