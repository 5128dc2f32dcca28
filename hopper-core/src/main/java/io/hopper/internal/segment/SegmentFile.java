package io.hopper.internal.segment;

import java.io.Closeable;
import java.io.IOException;

/**
 * One open queue file, as the storage back end exposes it: positional reads and writes of byte
 * ranges. An instance is used by one thread at a time (the writer under the back lock, or the
 * reader under the front lock).
 */
public interface SegmentFile extends Closeable {

    /** Writes {@code len} bytes of {@code src} at {@code position}, entirely or throws. */
    void write(long position, byte[] src, int off, int len) throws IOException;

    /**
     * Reads up to {@code len} bytes at {@code position} into {@code dst}; returns how many were
     * read, fewer only at the end of the file (0 or -1 there).
     */
    int read(long position, byte[] dst, int off, int len) throws IOException;

    /** Forces written bytes to stable storage. */
    void force() throws IOException;

    /**
     * Marks the file complete at {@code length} bytes: later reads never go past it, and the file
     * may be trimmed to that length. Closes it for writing.
     */
    void seal(long length) throws IOException;

    @Override
    void close() throws IOException;
}
