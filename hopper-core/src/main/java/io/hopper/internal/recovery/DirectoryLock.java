package io.hopper.internal.recovery;

import io.hopper.StorageException;
import io.hopper.internal.file.Uninterruptibly;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Exclusive ownership of a channel directory for as long as the channel is open: an OS file
 * lock on {@code hopper.lock} inside it. A second channel on the same directory, in this JVM or
 * another process, is refused with an error naming the directory instead of silently corrupting
 * the queue files. The lock dies with the process, so a crash never leaves a stale lock behind.
 *
 * <p>The lock's channel is used only to take the lock ({@link Uninterruptibly}: an interrupt that
 * closes the channel while it does, which drops the lock, makes it try again) and to close: no
 * thread is ever inside an operation on it in between, so no interrupt can close it and drop the
 * lock while the channel is open. Closing it releases the lock; that is not interruptible.
 */
public final class DirectoryLock implements Closeable {
    public static final String FILE_NAME = "hopper.lock";

    /** Directories (real paths) locked by channels of this JVM. */
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    private final Path key;
    /** Holds the lock; closing it releases the lock. */
    private final FileChannel channel;

    private DirectoryLock(Path key, FileChannel channel) {
        this.key = key;
        this.channel = channel;
    }

    /**
     * Takes the lock on {@code directory}.
     *
     * @throws StorageException if another channel holds it
     * @throws IOException      if the lock file cannot be created
     */
    public static DirectoryLock acquire(Path directory) throws IOException {
        Path key = directory.toRealPath();
        // Check this JVM first, without touching the lock file: closing any channel on a file drops
        // every POSIX lock this process holds on it, so a refused second attempt that opened and
        // closed the file would silently release the first channel's lock.
        if (!HELD.add(key)) {
            throw new StorageException("channel directory " + directory + " is already open in this JVM;"
                    + " close that channel first (one channel per directory)");
        }
        try {
            FileChannel ch = Uninterruptibly.call(() -> lockedChannel(key));
            if (ch == null) {
                throw new StorageException("channel directory " + directory + " is already open in another process"
                        + " (it holds the lock on " + directory.resolve(FILE_NAME) + ")");
            }
            return new DirectoryLock(key, ch);
        } catch (IOException | RuntimeException e) {
            HELD.remove(key);
            throw e;
        }
    }

    /** The lock file's channel holding the exclusive lock, or null (channel closed) when another process holds it. */
    private static FileChannel lockedChannel(Path key) throws IOException {
        FileChannel ch = FileChannel.open(key.resolve(FILE_NAME), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            if (ch.tryLock() != null) {
                return ch;
            }
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        ch.close();
        return null;
    }

    /**
     * Whether a channel, in this JVM or another process, has {@code directory} open, found without
     * writing anything: a shared lock on the lock file, opened for reading, is refused while a
     * channel holds its exclusive lock. A directory without a lock file is not held.
     *
     * @throws IOException if the lock file exists but cannot be opened
     */
    public static boolean heldElsewhere(Path directory) throws IOException {
        Path key = directory.toRealPath();
        if (HELD.contains(key)) {
            return true;
        }
        Path file = key.resolve(FILE_NAME);
        if (!Files.exists(file)) {
            return false;
        }
        return Uninterruptibly.call(() -> {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                FileLock probe = ch.tryLock(0, Long.MAX_VALUE, true);
                return probe == null; // closing the channel releases a probe that was granted
            }
        });
    }

    /** Releases the lock (closing its channel releases it; not interruptible). */
    @Override
    public void close() throws IOException {
        try {
            channel.close();
        } finally {
            HELD.remove(key);
        }
    }
}
