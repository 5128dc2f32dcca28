package io.hopper;

import io.hopper.internal.segment.SegmentReader;
import io.hopper.internal.segment.SegmentStorage;
import io.hopper.internal.segment.SegmentWriter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A storage back end seen through a {@link DiskTrace}: writes into the queue file being written
 * are recorded as writes into a memory mapping (dirty pages, the Chronicle Bytes model), and
 * forces as {@code msync}. Creation, size changes and renames go through the
 * {@link RecordingFileSystem} the channel's directory belongs to; this adds what a mapping hides
 * from it: the writes themselves, and the size the mapping gave the file.
 */
final class RecordingStorage implements SegmentStorage {
    private final SegmentStorage delegate;
    private final DiskTrace trace;

    RecordingStorage(SegmentStorage delegate, DiskTrace trace) {
        this.delegate = delegate;
        this.trace = trace;
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public long alignCapacity(long requested) {
        return delegate.alignCapacity(requested);
    }

    @Override
    public SegmentWriter create(Path path, long capacity) throws IOException {
        SegmentWriter w = delegate.create(path, capacity);
        int inode = trace.inodeOf(path.getFileName().toString());
        long size = Files.size(RecordingFileSystem.unwrap(path));
        if (size > 0) {
            trace.sizeSet(inode, size); // the mapping's extension of the file
        }
        return new SegmentWriter() {
            /** Forces after the seal are no-ops in every back end: record none. */
            private volatile boolean sealed;

            @Override
            public void write(long position, byte[] src, int off, int len) throws IOException {
                w.write(position, src, off, len);
                byte[] copy = new byte[len];
                System.arraycopy(src, off, copy, 0, len);
                trace.written(inode, position, copy, true);
            }

            @Override
            public synchronized void force() throws IOException {
                if (sealed) {
                    return;
                }
                trace.awaitForceGate();
                w.force();
                trace.forced(inode);
            }

            @Override
            public synchronized void seal(long length) throws IOException {
                sealed = true;
                w.seal(length);
            }

            @Override
            public void close() throws IOException {
                w.close();
            }
        };
    }

    @Override
    public SegmentReader openForRead(Path path) throws IOException {
        return delegate.openForRead(path);
    }
}
