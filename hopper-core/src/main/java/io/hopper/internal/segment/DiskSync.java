package io.hopper.internal.segment;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Forces appended records to the device, sharing one force among producers that wait at the same
 * time (group commit). A producer that needs its record durable calls {@link #awaitDurable} after
 * releasing the back lock: the first one in takes the sync lock, reads (under the back lock) how
 * far the stream goes and which file is being written, and forces that file outside the back
 * lock, so other producers keep appending meanwhile; those who queued behind it find their record
 * already covered and return without a force of their own. Files sealed in the meantime were
 * forced when sealed.
 *
 * <p>The consumer may be told to read only what is forced ({@link #durable()}, used under
 * {@code SyncPolicy.ALWAYS}): then the thread whose force raised the durable index wakes it
 * ({@link #onDurable}), once per force, after releasing the sync lock.
 */
public final class DiskSync {
    private final SegmentAppender appender;
    private final Lock backLock;
    /** Serializes forces. */
    private final ReentrantLock syncLock = new ReentrantLock();
    /**
     * Records below this index are forced. Written under the sync lock; read without it
     * (volatile: a consumer that announced parking and then reads it, against a forcing thread
     * that writes it and then reads the parking flag, cannot both miss the other).
     */
    private volatile long durable;
    private final SegmentLog log;
    /** Runs after a force raised {@link #durable}; no lock held. Set before the channel is shared. */
    private Runnable onDurable = () -> { };

    public DiskSync(SegmentLog log, SegmentAppender appender, Lock backLock) {
        this.log = log;
        this.appender = appender;
        this.backLock = backLock;
        this.durable = appender.nextIndex();
    }

    /** What to run (holding no lock) when a force made more records durable: wake the consumer. Before first use. */
    public void onDurable(Runnable hook) {
        this.onDurable = hook;
    }

    /** Records below this index are on the device (volatile load). */
    public long durable() {
        return durable;
    }

    /** Returns once every record below {@code index} is forced. Caller holds no channel lock. */
    public void awaitDurable(long index) throws IOException {
        boolean raised = false;
        try {
            while (durable < index) {
                syncLock.lock();
                try {
                    if (durable >= index) {
                        return; // someone else's force covered it: the group commit
                    }
                    SegmentWriter file;
                    long sequence = -1;
                    long upTo;
                    backLock.lock();
                    try {
                        file = appender.currentFile();
                        if (file != null) {
                            sequence = appender.currentSequence();
                        }
                        upTo = appender.nextIndex();
                    } finally {
                        backLock.unlock();
                    }
                    if (file != null) {
                        log.force(file, sequence);
                    }
                    durable = upTo;
                    raised = true;
                } finally {
                    syncLock.unlock();
                }
            }
        } finally {
            if (raised) {
                onDurable.run();
            }
        }
    }

    /** Forces the file being written now. Caller holds the back lock. */
    public void forceNow() throws IOException {
        appender.force();
    }

    /** Forces performed so far, by this and by seals. */
    public long forces() {
        return log.forces();
    }
}
