package io.hopper.internal.segment;

import java.io.Closeable;
import java.io.IOException;

/** A queue file opened for reading. Used by the consumer under the front lock. */
public interface SegmentReader extends Closeable {

    /**
     * Reads up to {@code len} bytes at {@code position} into {@code dst}; returns how many were
     * read, fewer only at the end of the file.
     */
    int read(long position, byte[] dst, int off, int len) throws IOException;

    @Override
    void close() throws IOException;
}
