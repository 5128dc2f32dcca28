package io.hopper.internal.segment;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Queue files through plain {@link FileChannel} positional I/O: no JVM flags, and every failure
 * (a full disk included) arrives as an {@link IOException} at the call that caused it.
 */
public final class FileChannelStorage implements SegmentStorage {

    @Override
    public String name() {
        return "file-channel";
    }

    @Override
    public SegmentWriter create(Path path, long capacity) throws IOException {
        return new ChannelFile(FileChannel.open(path, StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE, StandardOpenOption.READ));
    }

    @Override
    public SegmentReader openForRead(Path path) throws IOException {
        return new ChannelFile(FileChannel.open(path, StandardOpenOption.READ));
    }

    private static final class ChannelFile implements SegmentWriter, SegmentReader {
        private final FileChannel channel;

        ChannelFile(FileChannel channel) {
            this.channel = channel;
        }

        @Override
        public void write(long position, byte[] src, int off, int len) throws IOException {
            PositionalIo.writeFully(channel, position, src, off, len);
        }

        @Override
        public int read(long position, byte[] dst, int off, int len) throws IOException {
            return PositionalIo.readFully(channel, position, dst, off, len);
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
