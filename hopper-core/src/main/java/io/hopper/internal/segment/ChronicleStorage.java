package io.hopper.internal.segment;

import io.hopper.internal.file.InterruptSafeChannel;
import io.hopper.internal.file.Uninterruptibly;
import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.bytes.MappedBytes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Queue files written through an off-heap Chronicle Bytes memory mapping: an append is a copy
 * into the page cache, with no system call. The writer maps the file at its full capacity
 * (sparse on Linux) and trims it to its real length when it seals it.
 *
 * <p>Only touch this class after {@link ChronicleAvailability#check()} reported Chronicle usable.
 */
public final class ChronicleStorage implements SegmentStorage {
    private final FileChannelStorage reads = new FileChannelStorage();

    @Override
    public String name() {
        return "chronicle-bytes";
    }

    /**
     * Mappings are whole pages: a capacity of at least one page is rounded down to a page multiple
     * so a file never grows past the budget; a smaller one is kept, and the file being written then
     * has an apparent size of one page (sparse: only written blocks are allocated) until it is
     * sealed and trimmed.
     */
    @Override
    public long alignCapacity(long requested) {
        long page = net.openhft.chronicle.core.OS.pageSize();
        return requested >= page ? requested - requested % page : requested;
    }

    /**
     * Maps a new file. A mapped write that needs a block the file system does not have faults
     * (SIGBUS) instead of returning an error, so the space for the whole file is checked first:
     * with less than that free, creation fails with an {@link IOException} like any full disk.
     * Mapping is an interruptible channel operation: it runs {@link Uninterruptibly}, from the
     * start again (the half-made file deleted) if an interrupt arrives in the middle of it.
     */
    @Override
    public SegmentWriter create(Path path, long capacity) throws IOException {
        return Uninterruptibly.call(() -> createOnce(path, capacity));
    }

    private static SegmentWriter createOnce(Path path, long capacity) throws IOException {
        long usable = Files.getFileStore(path.getParent()).getUsableSpace();
        if (usable < capacity) {
            throw new IOException("no space left for a new queue file of " + capacity + " bytes in " + path.getParent()
                    + " (" + usable + " bytes usable)");
        }
        Files.createFile(path);
        InterruptSafeChannel handle = null;
        try {
            handle = InterruptSafeChannel.open(path, StandardOpenOption.WRITE);
            MappedBytes bytes = MappedBytes.singleMappedBytes(path.toFile(), capacity);
            bytes.singleThreadedCheckDisabled(true);
            return new MappedFileSegment(path, bytes, handle, capacity);
        } catch (IOException | RuntimeException e) {
            if (handle != null) {
                try {
                    handle.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            Files.deleteIfExists(path);
            throw e;
        }
    }

    /**
     * Reads go through positional {@code FileChannel} reads, as in {@link FileChannelStorage}: the
     * consumer copies every frame into its window anyway, so a read mapping would save nothing,
     * and reading a mapping of a file that was truncated under it faults (SIGBUS) where a short
     * read is a clean, countable error.
     */
    @Override
    public SegmentReader openForRead(Path path) throws IOException {
        return reads.openForRead(path);
    }

    /**
     * The file being written, mapped at its full capacity.
     *
     * <p><b>Forcing.</b> Chronicle's own {@code MappedBytes.sync()} is not a force: in Chronicle
     * Bytes 2026.4 it calls {@code msync} with the mode of {@code -DmappedFile.defaultSyncMode},
     * {@code MS_ASYNC} unless the host changed it (on Linux that neither writes nor waits), only up
     * to the {@code writePosition}, which absolute writes never move, and it logs a failure instead
     * of reporting it. So the writer keeps a {@code FileChannel} on the same file and forces through
     * it: {@code fdatasync} writes back every dirty page of the file, those dirtied through the
     * mapping included (Linux keeps one page cache for both), waits for the device, and throws on
     * failure. The same channel trims the file at the seal. It is an {@link InterruptSafeChannel}:
     * a producer or a group commit that is interrupted while forcing cannot close it.
     */
    private static final class MappedFileSegment implements SegmentWriter {
        /** The page size: {@link #pretouch} touches one int per page. */
        private static final long PAGE = net.openhft.chronicle.core.OS.pageSize();
        private final Path path;
        private final long capacity;
        /** Null once sealed or closed. Guarded by this writer's monitor, except for {@link #write}, which only the back lock's holder calls, before any seal. */
        private MappedBytes bytes;
        /** The same file, for {@code fdatasync} and the trim; closed with the mapping. This writer's monitor. */
        private InterruptSafeChannel handle;

        MappedFileSegment(Path path, MappedBytes bytes, InterruptSafeChannel handle, long capacity) {
            this.path = path;
            this.bytes = bytes;
            this.handle = handle;
            this.capacity = capacity;
        }

        @Override
        public void write(long position, byte[] src, int off, int len) throws IOException {
            if (bytes == null) {
                throw new IOException("queue file is closed for writing: " + path);
            }
            if (position < 0 || position + len > capacity) {
                throw new IOException("write of " + len + " bytes at " + position + " past the capacity "
                        + capacity + " of " + path);
            }
            try {
                bytes.write(position, src, off, len);
            } catch (RuntimeException | InternalError e) {
                // InternalError: the JVM's report of a fault in a mapped access (e.g. the file
                // system filled up after the space check).
                throw new IOException("mapped write failed for " + path, e);
            }
        }

        @Override
        public boolean pretouchable() {
            return true;
        }

        /**
         * A compare-and-set of 0 to 0 on the first int of each page: a write access, so the kernel
         * maps the page writable (allocating its block, the cost a producer would otherwise pay in
         * the middle of a send), yet it never changes a byte. It is atomic against the producer's
         * plain stores to the same bytes, whichever comes first: on a page the producer already
         * wrote, the comparison fails and the bytes stay as written; on an untouched page it stores
         * the zero that was there. Under this writer's monitor, so seal and close (which unmap)
         * wait for the pages in hand, and a sealed file is never touched.
         */
        @Override
        public synchronized boolean pretouch(long from, long to) {
            if (bytes == null) {
                return false;
            }
            long last = Math.min(to - 1, capacity - Integer.BYTES); // the int touched must lie in the file
            try {
                for (long p = (Math.max(0, from) + PAGE - 1) / PAGE * PAGE; p <= last; p += PAGE) {
                    bytes.compareAndSwapInt(p, 0, 0);
                }
                return true;
            } catch (RuntimeException | InternalError e) {
                // InternalError: a fault in the mapped access (the file system filled up after the
                // space check). The producer's own write meets the same condition and reports it.
                return false;
            }
        }

        // force, seal and close exclude each other: a group commit forces the file being
        // written outside the back lock, possibly while a producer seals it.
        @Override
        public synchronized void force() throws IOException {
            if (bytes != null) { // null: sealed (and forced then) or closed
                handle.force(false);
            }
        }

        @Override
        public synchronized void seal(long length) throws IOException {
            if (bytes != null) {
                try {
                    release();
                    // Through the open handle: a trim never brings back a file that was deleted.
                    handle.truncate(length);
                } finally {
                    closeHandle();
                }
            }
        }

        private void closeHandle() throws IOException {
            InterruptSafeChannel h = handle;
            handle = null;
            if (h != null) {
                h.close();
            }
        }

        /**
         * Unmaps the file. Releasing a single-mapped {@code MappedBytes} leaves one reference on
         * its store (Chronicle Bytes 2026.4), and the mapping lives as long as the store: without
         * the second release every queue file leaked a mapping until the process hit the kernel's
         * map-count limit (found by the fuzzer after ~45,000 channels).
         */
        private void release() throws IOException {
            MappedBytes b = bytes;
            bytes = null;
            if (b != null) {
                try {
                    BytesStore<?, ?> store = b.bytesStore();
                    b.releaseLast();
                    if (store != null && store.refCount() > 0) {
                        store.releaseLast();
                    }
                    // With background.releaser=false (ChronicleAvailability sets it unless the
                    // host chose otherwise) the unmap and close happen here, synchronously.
                } catch (RuntimeException e) {
                    throw new IOException("unmapping failed for " + path, e);
                }
            }
        }

        @Override
        public synchronized void close() throws IOException {
            try {
                release();
            } finally {
                closeHandle();
            }
        }
    }
}
