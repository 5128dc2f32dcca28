package io.hopper.internal.segment;

import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.bytes.MappedBytes;
import net.openhft.chronicle.core.io.BackgroundResourceReleaser;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Queue files memory-mapped off-heap through Chronicle Bytes: a write is a copy into the page
 * cache, with no system call. The writer maps the file at its full capacity (sparse on Linux)
 * and trims it to its real length when it seals it; readers map what exists.
 *
 * <p>Only touch this class after {@link ChronicleAvailability#check()} reported Chronicle usable.
 */
public final class ChronicleStorage implements SegmentStorage {

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

    @Override
    public SegmentFile create(Path path, long capacity) throws IOException {
        Files.createFile(path);
        try {
            MappedBytes bytes = MappedBytes.singleMappedBytes(path.toFile(), capacity);
            bytes.singleThreadedCheckDisabled(true);
            return new MappedFileSegment(path, bytes, capacity, true);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(path);
            throw e;
        }
    }

    @Override
    public SegmentFile openForRead(Path path) throws IOException {
        long size = Files.size(path);
        if (size == 0) {
            return new MappedFileSegment(path, null, 0, false);
        }
        MappedBytes bytes = MappedBytes.singleMappedBytes(path.toFile(), size, true);
        bytes.singleThreadedCheckDisabled(true);
        // Chronicle's positional reads are bounded by the read limit, which starts at 0.
        bytes.readLimit(size);
        return new MappedFileSegment(path, bytes, size, false);
    }

    private static final class MappedFileSegment implements SegmentFile {
        private final Path path;
        private final boolean writable;
        private MappedBytes bytes;
        private long limit;

        MappedFileSegment(Path path, MappedBytes bytes, long limit, boolean writable) {
            this.path = path;
            this.bytes = bytes;
            this.limit = limit;
            this.writable = writable;
        }

        @Override
        public void write(long position, byte[] src, int off, int len) throws IOException {
            if (!writable || bytes == null) {
                throw new IOException("queue file is not open for writing: " + path);
            }
            if (position < 0 || position + len > limit) {
                throw new IOException("write of " + len + " bytes at " + position + " past the mapped capacity "
                        + limit + " of " + path);
            }
            try {
                bytes.write(position, src, off, len);
            } catch (RuntimeException e) {
                throw new IOException("mapped write failed for " + path, e);
            }
        }

        @Override
        public int read(long position, byte[] dst, int off, int len) throws IOException {
            if (bytes == null || position >= limit) {
                return 0;
            }
            int n = (int) Math.min(len, limit - position);
            try {
                bytes.read(position, dst, off, n);
            } catch (RuntimeException e) {
                throw new IOException("mapped read failed for " + path, e);
            }
            return n;
        }

        @Override
        public void force() throws IOException {
            if (bytes != null && writable) {
                try {
                    bytes.sync();
                } catch (RuntimeException e) {
                    throw new IOException("msync failed for " + path, e);
                }
            }
        }

        @Override
        public void seal(long length) throws IOException {
            if (bytes != null && writable) {
                release();
                try (RandomAccessFile raf = new RandomAccessFile(path.toFile(), "rw")) {
                    raf.setLength(length);
                }
                limit = 0;
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
                    // Chronicle unmaps and closes on a background thread; do it now, so that
                    // handles and mappings are gone when our close returns.
                    BackgroundResourceReleaser.releasePendingResources();
                } catch (RuntimeException e) {
                    throw new IOException("unmapping failed for " + path, e);
                }
            }
        }

        @Override
        public void close() throws IOException {
            release();
        }
    }
}
