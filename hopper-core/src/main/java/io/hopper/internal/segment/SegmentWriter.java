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

    /**
     * Whether {@link #pretouch} does anything: a mapped file, whose first write to each page takes
     * a page fault in the writing thread. A positional-write back end has no such cost to move.
     */
    default boolean pretouchable() {
        return false;
    }

    /**
     * Faults in the pages of {@code [from, to)} that nothing was written to yet, without changing a
     * byte: called by {@link Pretoucher}'s thread ahead of the writer, concurrently with
     * {@link #write}. Excludes seal and close like {@link #force()}.
     *
     * @return false when the file is sealed or closed, or touching failed: stop touching it
     */
    default boolean pretouch(long from, long to) {
        return false;
    }

    @Override
    void close() throws IOException;
}
