package io.hopper.testkit;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessMode;
import java.nio.file.CopyOption;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.StandardOpenOption;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.nio.file.spi.FileSystemProvider;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * The default file system, with every operation that changes what a power cut can leave behind
 * recorded in a {@link DiskTrace}: file creation, positional and sequential writes, size changes,
 * {@code fsync} of files and of directories, renames and deletions. Everything is performed for
 * real on the real files underneath, so the channel under test runs exactly as in production; a
 * path of this file system is a thin wrapper of a default-file-system path.
 *
 * <p>Chronicle Bytes maps files through {@link Path#toFile()}, which these paths answer with the
 * real file, so mapped writes bypass this layer: {@link RecordingStorage} records them at the
 * queue-file writer instead, as dirty pages.
 *
 * <p>Only paths under {@link #root()} are recorded (the trace names files relative to it).
 */
public final class RecordingFileSystem extends FileSystem {
    private final FileSystem base = FileSystems.getDefault();
    private final Provider provider = new Provider();
    private final Path realRoot;
    public final DiskTrace trace;

    public RecordingFileSystem(Path realRoot, DiskTrace trace) {
        this.realRoot = realRoot.toAbsolutePath();
        this.trace = trace;
    }

    /** The recorded directory, as a path of this file system. */
    public Path root() {
        return wrap(realRoot);
    }

    public Path wrap(Path real) {
        return real == null ? null : new WrappedPath(this, real);
    }

    public static Path unwrap(Path p) {
        return p instanceof WrappedPath w ? w.real : p;
    }

    /** The trace's name for {@code real}, or null when it lies outside the recorded directory. */
    private String name(Path real) {
        Path abs = real.toAbsolutePath().normalize();
        if (!abs.startsWith(realRoot) || abs.equals(realRoot)) {
            return null;
        }
        return realRoot.relativize(abs).toString();
    }

    @Override
    public FileSystemProvider provider() {
        return provider;
    }

    @Override
    public void close() {
        throw new UnsupportedOperationException();
    }

    @Override
    public boolean isOpen() {
        return true;
    }

    @Override
    public boolean isReadOnly() {
        return false;
    }

    @Override
    public String getSeparator() {
        return base.getSeparator();
    }

    @Override
    public Iterable<Path> getRootDirectories() {
        return () -> wrapped(base.getRootDirectories().iterator());
    }

    /** {@code it}'s paths, each as a path of this file system. */
    private Iterator<Path> wrapped(Iterator<Path> it) {
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return it.hasNext();
            }

            @Override
            public Path next() {
                return wrap(it.next());
            }
        };
    }

    @Override
    public Iterable<FileStore> getFileStores() {
        return base.getFileStores();
    }

    @Override
    public Set<String> supportedFileAttributeViews() {
        return base.supportedFileAttributeViews();
    }

    @Override
    public Path getPath(String first, String... more) {
        return wrap(base.getPath(first, more));
    }

    @Override
    public PathMatcher getPathMatcher(String syntaxAndPattern) {
        PathMatcher m = base.getPathMatcher(syntaxAndPattern);
        return p -> m.matches(unwrap(p));
    }

    @Override
    public UserPrincipalLookupService getUserPrincipalLookupService() {
        return base.getUserPrincipalLookupService();
    }

    @Override
    public WatchService newWatchService() {
        throw new UnsupportedOperationException("not recorded");
    }

    /** A default-file-system path seen through the recording file system. */
    private static final class WrappedPath implements Path {
        private final RecordingFileSystem fs;
        public final Path real;

        WrappedPath(RecordingFileSystem fs, Path real) {
            this.fs = fs;
            this.real = real;
        }

        @Override
        public FileSystem getFileSystem() {
            return fs;
        }

        @Override
        public boolean isAbsolute() {
            return real.isAbsolute();
        }

        @Override
        public Path getRoot() {
            return fs.wrap(real.getRoot());
        }

        @Override
        public Path getFileName() {
            return fs.wrap(real.getFileName());
        }

        @Override
        public Path getParent() {
            return fs.wrap(real.getParent());
        }

        @Override
        public int getNameCount() {
            return real.getNameCount();
        }

        @Override
        public Path getName(int index) {
            return fs.wrap(real.getName(index));
        }

        @Override
        public Path subpath(int beginIndex, int endIndex) {
            return fs.wrap(real.subpath(beginIndex, endIndex));
        }

        @Override
        public boolean startsWith(Path other) {
            return real.startsWith(unwrap(other));
        }

        @Override
        public boolean endsWith(Path other) {
            return real.endsWith(unwrap(other));
        }

        @Override
        public Path normalize() {
            return fs.wrap(real.normalize());
        }

        @Override
        public Path resolve(Path other) {
            return fs.wrap(real.resolve(unwrap(other)));
        }

        @Override
        public Path relativize(Path other) {
            return fs.wrap(real.relativize(unwrap(other)));
        }

        @Override
        public URI toUri() {
            return real.toUri();
        }

        @Override
        public Path toAbsolutePath() {
            return fs.wrap(real.toAbsolutePath());
        }

        @Override
        public Path toRealPath(LinkOption... options) throws IOException {
            return fs.wrap(real.toRealPath(options));
        }

        /** The real file: Chronicle Bytes maps it directly (its writes are recorded by {@link RecordingStorage}). */
        @Override
        public File toFile() {
            return real.toFile();
        }

        @Override
        public WatchKey register(WatchService watcher, WatchEvent.Kind<?>[] events, WatchEvent.Modifier... modifiers) {
            throw new UnsupportedOperationException("not recorded");
        }

        @Override
        public int compareTo(Path other) {
            return real.compareTo(unwrap(other));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof WrappedPath w && w.real.equals(real);
        }

        @Override
        public int hashCode() {
            return real.hashCode();
        }

        @Override
        public String toString() {
            return real.toString();
        }
    }

    private final class Provider extends FileSystemProvider {
        private final FileSystemProvider baseProvider = base.provider();

        @Override
        public String getScheme() {
            return "hopper-recording";
        }

        @Override
        public FileSystem newFileSystem(URI uri, Map<String, ?> env) {
            throw new UnsupportedOperationException();
        }

        @Override
        public FileSystem getFileSystem(URI uri) {
            return RecordingFileSystem.this;
        }

        @Override
        public Path getPath(URI uri) {
            return wrap(baseProvider.getPath(uri));
        }

        @Override
        public SeekableByteChannel newByteChannel(Path path, Set<? extends OpenOption> options,
                                                  FileAttribute<?>... attrs) throws IOException {
            return newFileChannel(path, options, attrs);
        }

        @Override
        public FileChannel newFileChannel(Path path, Set<? extends OpenOption> options,
                                          FileAttribute<?>... attrs) throws IOException {
            Path real = unwrap(path);
            String name = name(real);
            boolean existed = Files.exists(real);
            boolean directory = Files.isDirectory(real);
            FileChannel ch = baseProvider.newFileChannel(real, options, attrs);
            if (name == null && !real.toAbsolutePath().normalize().equals(realRoot)) {
                return ch; // outside the recorded directory
            }
            int inode = -1;
            if (name != null && !directory) {
                if (!existed) {
                    inode = trace.created(name);
                } else {
                    inode = trace.inodeOf(name);
                    if (options.contains(StandardOpenOption.TRUNCATE_EXISTING)
                            && options.contains(StandardOpenOption.WRITE)) {
                        trace.sizeSet(inode, 0);
                    }
                }
            }
            return new RecordingChannel(ch, inode, directory || name == null);
        }

        @Override
        public DirectoryStream<Path> newDirectoryStream(Path dir, DirectoryStream.Filter<? super Path> filter)
                throws IOException {
            DirectoryStream<Path> s = baseProvider.newDirectoryStream(unwrap(dir), p -> filter.accept(wrap(p)));
            return new DirectoryStream<>() {
                @Override
                public Iterator<Path> iterator() {
                    return wrapped(s.iterator());
                }

                @Override
                public void close() throws IOException {
                    s.close();
                }
            };
        }

        @Override
        public void createDirectory(Path dir, FileAttribute<?>... attrs) throws IOException {
            baseProvider.createDirectory(unwrap(dir), attrs); // the recorded directory exists before recording
        }

        @Override
        public void delete(Path path) throws IOException {
            Path real = unwrap(path);
            baseProvider.delete(real);
            String name = name(real);
            if (name != null) {
                trace.deleted(name);
            }
        }

        @Override
        public void copy(Path source, Path target, CopyOption... options) {
            throw new UnsupportedOperationException("copy is not recorded");
        }

        @Override
        public void move(Path source, Path target, CopyOption... options) throws IOException {
            Path from = unwrap(source);
            Path to = unwrap(target);
            baseProvider.move(from, to, options);
            String a = name(from);
            String b = name(to);
            if (a != null && b != null) {
                trace.renamed(a, b);
            } else if (a != null || b != null) {
                throw new IOException("move across the recorded directory's border is not recorded: " + from + " -> " + to);
            }
        }

        @Override
        public boolean isSameFile(Path path, Path path2) throws IOException {
            return baseProvider.isSameFile(unwrap(path), unwrap(path2));
        }

        @Override
        public boolean isHidden(Path path) throws IOException {
            return baseProvider.isHidden(unwrap(path));
        }

        @Override
        public FileStore getFileStore(Path path) throws IOException {
            return baseProvider.getFileStore(unwrap(path));
        }

        @Override
        public void checkAccess(Path path, AccessMode... modes) throws IOException {
            baseProvider.checkAccess(unwrap(path), modes);
        }

        @Override
        public <V extends FileAttributeView> V getFileAttributeView(Path path, Class<V> type, LinkOption... options) {
            return baseProvider.getFileAttributeView(unwrap(path), type, options);
        }

        @Override
        public <A extends BasicFileAttributes> A readAttributes(Path path, Class<A> type, LinkOption... options)
                throws IOException {
            return baseProvider.readAttributes(unwrap(path), type, options);
        }

        @Override
        public Map<String, Object> readAttributes(Path path, String attributes, LinkOption... options)
                throws IOException {
            return baseProvider.readAttributes(unwrap(path), attributes, options);
        }

        @Override
        public void setAttribute(Path path, String attribute, Object value, LinkOption... options) throws IOException {
            baseProvider.setAttribute(unwrap(path), attribute, value, options);
        }
    }

    /** A real channel whose writes, size changes and forces are recorded against its file's inode. */
    private final class RecordingChannel extends ForwardingFileChannel {
        private final int inode;
        private final boolean directory;

        RecordingChannel(FileChannel ch, int inode, boolean directory) {
            super(ch);
            this.inode = inode;
            this.directory = directory;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            long at = delegate.position();
            ByteBuffer copy = src.duplicate();
            int n = delegate.write(src);
            record(at, copy, n);
            return n;
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            long total = 0;
            for (int i = offset; i < offset + length; i++) {
                total += write(srcs[i]);
            }
            return total;
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            ByteBuffer copy = src.duplicate();
            int n = delegate.write(src, position);
            record(position, copy, n);
            return n;
        }

        private void record(long at, ByteBuffer copy, int n) {
            if (n > 0 && inode >= 0) {
                byte[] b = new byte[n];
                copy.get(b);
                trace.written(inode, at, b, false);
            }
        }

        @Override
        public FileChannel truncate(long size) throws IOException {
            boolean shrinks = size < delegate.size();
            delegate.truncate(size);
            if (shrinks && inode >= 0) {
                trace.sizeSet(inode, size);
            }
            return this;
        }

        @Override
        public void force(boolean metaData) throws IOException {
            trace.awaitForceGate();
            delegate.force(metaData);
            if (directory) {
                trace.directoryForced();
            } else if (inode >= 0) {
                trace.forced(inode);
            }
        }
    }
}
