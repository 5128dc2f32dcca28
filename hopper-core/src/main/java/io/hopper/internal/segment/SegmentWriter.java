package io.hopper.internal.segment;

import java.io.Closeable;
import java.io.IOException;

/**
 * The queue file being written, as a storage back end exposes it. Used by the writer under the
 * back lock; {@link #force()} may also come from a group commit outside it, so implementations
 * make force, seal and close exclude each other, and force after seal or close a no-op (sealing
 * forces first when the sync policy asks for it).
 */
public interface SegmentWriter extends Closeable {

    /** Writes {@code len} bytes of {@code src} at {@code position}, entirely or throws. */
    void write(long position, byte[] src, int off, int len) throws IOException;

    /** Forces written bytes to the storage device. */
    void force() throws IOException;

    /** Marks the file complete at {@code length} bytes: trims it to that length and closes it for writing. */
    void seal(long length) throws IOException;

    @Override
    void close() throws IOException;
}
