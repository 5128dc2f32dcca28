package io.hopper.internal.segment;

import io.hopper.internal.file.InterruptSafeChannel;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Queue files through plain positional {@code FileChannel} I/O: no JVM flags, and every failure
 * (a full disk included) arrives as an {@link IOException} at the call that caused it. Files are
 * opened through {@link InterruptSafeChannel}, so a thread interrupt never closes one.
 */
public final class FileChannelStorage implements SegmentStorage {

    @Override
    public String name() {
        return "file-channel";
    }

    @Override
    public SegmentWriter create(Path path, long capacity) throws IOException {
        return new ChannelFile(InterruptSafeChannel.open(path, StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE, StandardOpenOption.READ));
    }

    @Override
    public SegmentReader openForRead(Path path) throws IOException {
        return new ChannelFile(InterruptSafeChannel.open(path, StandardOpenOption.READ));
    }

    private static final class ChannelFile implements SegmentWriter, SegmentReader {
        private final InterruptSafeChannel channel;

        ChannelFile(InterruptSafeChannel channel) {
            this.channel = channel;
        }

        @Override
        public void write(long position, byte[] src, int off, int len) throws IOException {
            channel.write(position, src, off, len);
        }

        @Override
        public int read(long position, byte[] dst, int off, int len) throws IOException {
            return channel.read(position, dst, off, len);
        }

        // force, seal and close exclude each other: a group commit forces the file being
        // written outside the back lock, possibly while a producer seals it.
        @Override
        public synchronized void force() throws IOException {
            if (channel.isOpen()) { // closed: it was sealed, and sealing forced it
                channel.force(false);
            }
        }

        @Override
        public synchronized void seal(long length) throws IOException {
            if (channel.size() > length) {
                channel.truncate(length);
            }
        }

        @Override
        public synchronized void close() throws IOException {
            channel.close();
        }
    }
}
