package io.hopper.internal.segment;

import io.hopper.StorageException;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;

/**
 * The head file the cursor reads, and a window of its bytes: reads go through the window, never
 * past the bytes the writer has published, and a read that fails is repeated once on a freshly
 * opened handle before it is reported (an I/O error, never damage).
 *
 * <p>Guarded: the cursor's file lock, for every field and method (the consumer inside the front
 * lock; an evicting producer closes it).
 */
final class HeadWindow {
    private static final System.Logger LOG = System.getLogger("io.hopper");
    static final int WINDOW = 64 * 1024;

    private final SegmentStorage storage;
    /** The open head file, or null. */
    SegmentReader file;
    /** Its path, for reopening and for messages. */
    private Path path;
    /** Bytes {@code [start, start + length)} of the head file, as read. */
    byte[] bytes = new byte[WINDOW];
    long start;
    int length;
    /** Fresh reads into the window so far (read-ahead is offered each new window once). */
    long reads;

    HeadWindow(SegmentStorage storage) {
        this.storage = storage;
    }

    /** Makes {@code opened}, the file at {@code path}, the head file, with an empty window. */
    void open(SegmentReader opened, Path path) {
        this.file = opened;
        this.path = path;
        this.length = 0;
    }

    /** Forgets the window's bytes (the next {@link #ensure} reads again). */
    void invalidate() {
        length = 0;
    }

    /**
     * Makes {@code [at, at + n)} available in the window, reading no further than {@code readable}.
     *
     * @return false when the file holds fewer bytes there than the writer published (damage)
     * @throws StorageException when the file cannot be read (see {@link #readChecked}); nothing moved
     */
    boolean ensure(long at, int n, long readable) {
        if (at >= start && at + n <= start + length) {
            return true;
        }
        if (file == null || at + n > readable) {
            return false;
        }
        int want = (int) Math.min(Math.max(n, WINDOW), readable - at);
        length = 0; // the window's old bytes are not kept if the read fails
        if (want > bytes.length) {
            bytes = new byte[want];
        } else if (bytes.length > 16 * WINDOW && want <= WINDOW) {
            bytes = new byte[WINDOW];
        }
        int got;
        try {
            got = readChecked(at, bytes, 0, want);
        } catch (IOException e) {
            throw new StorageException("cannot read queue file " + path + " at offset " + at
                    + "; nothing was skipped, the next receive tries again", e);
        }
        start = at;
        length = Math.max(got, 0);
        reads++;
        return length >= n;
    }

    /**
     * Reads the head file. A read that fails is never taken for damage at once: the file is opened
     * again and the read repeated, and only a second failure is reported (as an I/O error, not as
     * damage: the bytes may be fine, the device or the process was not).
     */
    int readChecked(long at, byte[] dst, int off, int len) throws IOException {
        try {
            return file.read(at, dst, off, len);
        } catch (IOException first) {
            LOG.log(Level.WARNING, "hopper: reading " + path + " at offset " + at + " failed (" + first
                    + "); opening it again to read once more");
            SegmentReader again = storage.openForRead(path);
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

    /** Closes the head file, if open, and forgets the window's bytes. */
    void close() {
        SegmentReader f = file;
        file = null;
        length = 0;
        if (f != null) {
            try {
                f.close();
            } catch (IOException e) {
                LOG.log(Level.WARNING, "hopper: cannot close queue file: " + e);
            }
        }
    }
}
