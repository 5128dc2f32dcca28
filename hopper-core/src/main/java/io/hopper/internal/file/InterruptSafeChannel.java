package io.hopper.internal.file;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;

/**
 * A file opened for positional I/O that no thread interrupt can break.
 *
 * <p><b>Why.</b> A {@link FileChannel} is an {@code InterruptibleChannel}: when a thread is
 * interrupted while it is in an operation on the channel, or calls one with its interrupt status
 * set, the JDK closes the channel, for every thread that uses it, and the interrupted thread gets
 * {@code ClosedByInterruptException}. In a queue that is shared by producers, a consumer, a
 * compactor and a timer, one {@code Future.cancel(true)} would then break the file for everyone,
 * and a consumer that read the failure as damage would skip records. A channel that interrupts
 * cannot touch is not available through public API (the JDK's own has one behind
 * {@code --add-opens java.base/sun.nio.ch}, which the plain {@code FILE_CHANNEL} back end must
 * not need), so this class keeps a usable channel instead:
 * <ul>
 *   <li>Each operation runs with the caller's interrupt status cleared, so a status set before the
 *   call (the common case: a thread cancelled by {@code shutdownNow} that keeps working) never
 *   reaches the channel. The status is set again before the call returns, whatever the outcome:
 *   interrupts are the caller's to answer, never swallowed.</li>
 *   <li>An interrupt that arrives <em>during</em> an operation, on this thread or on another one
 *   using the same file, still closes the underlying channel. Every operation that finds the
 *   channel closed though nobody called {@link #close()} reopens the same file (the same inode:
 *   {@link BasicFileAttributes#fileKey()} is compared, so a file renamed over this path is never
 *   read in its place) and runs again. Every operation here is idempotent (positional reads and
 *   writes of the same bytes at the same offset, a force, a truncation to a size), so running it
 *   again cannot change what it does; a read or write continues from what the closed channel
 *   reported done.</li>
 * </ul>
 * The reopen happens under this object's monitor, once per closed channel whichever thread saw it
 * first; the other threads find the new channel and retry on it.
 *
 * <p><b>Cost.</b> On the path without an interrupt: one {@link Thread#interrupted()} (a field
 * read) and one volatile read of the current channel per operation. Measured in
 * {@code hopper-bench/RESULTS.md}.
 *
 * <p>Thread-safe: the channel reference is volatile and replaced only under the monitor;
 * positional operations need no position shared between threads.
 */
public final class InterruptSafeChannel implements Closeable {
    private final Path path;
    /** Opens the file: {@link FileChannel#open(Path, Set, java.nio.file.attribute.FileAttribute[])} outside tests. */
    private final Opener opener;
    /** The options of the first open without the ones that create or truncate: a reopen finds the file as it is. */
    private final Set<OpenOption> reopenOptions;
    /** The identity of the file opened (device and inode on Unix); null where the file system has none. */
    private final Object fileKey;
    /** The channel in use. Replaced under this object's monitor (reopen); volatile so every thread sees the new one. */
    private volatile FileChannel channel;
    /** Set by {@link #close()} under the monitor: a closed channel is then final, not reopened. */
    private volatile boolean closed;
    /** Channels reopened after an interrupt closed them. Written under the monitor; volatile for tests and stats. */
    private volatile long reopens;

    /** How a file is opened; tests supply channels that fail as an interrupted JDK channel does. */
    @FunctionalInterface
    interface Opener {
        FileChannel open(Path path, Set<OpenOption> options) throws IOException;
    }

    private InterruptSafeChannel(Path path, Opener opener, Set<OpenOption> reopenOptions, Object fileKey,
                                 FileChannel channel) {
        this.path = path;
        this.opener = opener;
        this.reopenOptions = reopenOptions;
        this.fileKey = fileKey;
        this.channel = channel;
    }

    /**
     * Opens {@code path} as {@link FileChannel#open(Path, OpenOption...)} does (opening is not
     * interruptible).
     *
     * @throws IOException as {@link FileChannel#open(Path, OpenOption...)}
     */
    public static InterruptSafeChannel open(Path path, OpenOption... options) throws IOException {
        return open(path, FileChannel::open, options);
    }

    static InterruptSafeChannel open(Path path, Opener opener, OpenOption... options) throws IOException {
        Set<OpenOption> reopen = new HashSet<>(Set.of(options));
        reopen.remove(StandardOpenOption.CREATE);
        reopen.remove(StandardOpenOption.CREATE_NEW);
        reopen.remove(StandardOpenOption.TRUNCATE_EXISTING);
        FileChannel ch = opener.open(path, Set.of(options));
        try {
            return new InterruptSafeChannel(path, opener, Set.copyOf(reopen), fileKey(path), ch);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static Object fileKey(Path path) throws IOException {
        return Files.readAttributes(path, BasicFileAttributes.class).fileKey();
    }

    /**
     * Reads up to {@code len} bytes at {@code position} into {@code dst}.
     *
     * @return how many were read: {@code len}, or fewer only where the file ends
     */
    public int read(long position, byte[] dst, int off, int len) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(dst, off, len);
        boolean interrupted = Thread.interrupted();
        try {
            for (;;) {
                FileChannel ch = channel;
                try {
                    while (b.hasRemaining()) {
                        if (ch.read(b, position + (b.position() - off)) < 0) {
                            break;
                        }
                    }
                    return b.position() - off;
                } catch (ClosedChannelException e) {
                    interrupted |= reopenAfter(ch, e);
                }
            }
        } finally {
            restore(interrupted);
        }
    }

    /** Writes all {@code len} bytes of {@code src} at {@code position}. */
    public void write(long position, byte[] src, int off, int len) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(src, off, len);
        boolean interrupted = Thread.interrupted();
        try {
            for (;;) {
                FileChannel ch = channel;
                try {
                    while (b.hasRemaining()) {
                        ch.write(b, position + (b.position() - off));
                    }
                    return;
                } catch (ClosedChannelException e) {
                    interrupted |= reopenAfter(ch, e);
                }
            }
        } finally {
            restore(interrupted);
        }
    }

    /** Forces the file's contents (and its metadata with {@code metaData}) to the device. */
    public void force(boolean metaData) throws IOException {
        retrying(ch -> {
            ch.force(metaData);
            return null;
        });
    }

    /** {@return the file's size} */
    public long size() throws IOException {
        return retrying(FileChannel::size);
    }

    /** Cuts the file to {@code size} bytes if it is longer. */
    public void truncate(long size) throws IOException {
        retrying(ch -> ch.truncate(size));
    }

    /** An operation on the current channel, run again on a reopened one if an interrupt closed it. */
    @FunctionalInterface
    private interface ChannelOp<T> {
        T apply(FileChannel channel) throws IOException;
    }

    /**
     * Runs {@code op} as the class comment says. {@link #read} and {@link #write}, which run per
     * record or per window, spell the same loop out instead: no capturing lambda on those paths.
     */
    private <T> T retrying(ChannelOp<T> op) throws IOException {
        boolean interrupted = Thread.interrupted();
        try {
            for (;;) {
                FileChannel ch = channel;
                try {
                    return op.apply(ch);
                } catch (ClosedChannelException e) {
                    interrupted |= reopenAfter(ch, e);
                }
            }
        } finally {
            restore(interrupted);
        }
    }

    /** {@return whether {@link #close()} has not been called} A channel an interrupt closed still counts as open. */
    public boolean isOpen() {
        return !closed;
    }

    /** {@return how many times an interrupt closed the channel and it was reopened} */
    public long reopens() {
        return reopens;
    }

    /** Closes the file for good. Idempotent; not interruptible. */
    @Override
    public synchronized void close() throws IOException {
        closed = true;
        channel.close();
    }

    /**
     * {@code failed} threw {@code e}: unless {@link #close()} was called, an interrupt closed it
     * (nothing else closes it), so open the file again, unless another thread already did.
     *
     * @return whether the calling thread's interrupt status was set (and is now cleared, for the retry)
     * @throws IOException {@code e} if the channel was closed on purpose; or why the file could not
     *                     be opened again (it was deleted, or another file now has its name)
     */
    private boolean reopenAfter(FileChannel failed, ClosedChannelException e) throws IOException {
        boolean interrupted = Thread.interrupted(); // set if it was this thread's interrupt that closed it
        synchronized (this) {
            if (closed) {
                restore(interrupted);
                throw e;
            }
            if (channel == failed) {
                FileChannel fresh;
                try {
                    fresh = opener.open(path, reopenOptions);
                } catch (IOException reopenFailed) {
                    reopenFailed.addSuppressed(e);
                    restore(interrupted);
                    throw new IOException("an interrupt closed " + path + " and it cannot be opened again", reopenFailed);
                }
                Object key;
                try {
                    key = fileKey(path);
                } catch (IOException | RuntimeException statFailed) {
                    fresh.close();
                    restore(interrupted);
                    throw statFailed;
                }
                if (!Objects.equals(key, fileKey)) {
                    fresh.close();
                    restore(interrupted);
                    IOException replaced = new IOException("an interrupt closed " + path
                            + " and the name now belongs to another file; not reading or writing that one");
                    replaced.addSuppressed(e);
                    throw replaced;
                }
                channel = fresh;
                reopens = reopens + 1;
            }
        }
        return interrupted;
    }

    private static void restore(boolean interrupted) {
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
