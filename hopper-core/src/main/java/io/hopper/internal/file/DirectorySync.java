package io.hopper.internal.file;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Forces a directory's entries to the device. A file's own {@code fsync} makes its contents
 * durable but not its name: POSIX and Linux's fsync(2) say that a new, renamed or deleted entry
 * takes an fsync of the directory that holds it. Without one a power cut can remove a file that
 * was created, written and forced, or undo a rename.
 */
public final class DirectorySync {
    private static final System.Logger LOG = System.getLogger("io.hopper");
    private static final AtomicBoolean UNSUPPORTED_LOGGED = new AtomicBoolean();

    private DirectorySync() {
    }

    /**
     * Forces {@code directory}'s entries, whatever the calling thread's interrupt status
     * ({@link Uninterruptibly}: an interrupt arriving during the flush makes it run again).
     *
     * @throws IOException if the device reported a failure of the flush (the entries may not be
     *                     durable). A platform where a directory cannot be opened for this (Windows)
     *                     is logged once and skipped: its file systems do not offer the operation.
     */
    public static void force(Path directory) throws IOException {
        Uninterruptibly.run(() -> forceOnce(directory));
    }

    private static void forceOnce(Path directory) throws IOException {
        FileChannel ch;
        try {
            ch = FileChannel.open(directory, StandardOpenOption.READ);
        } catch (IOException | UnsupportedOperationException e) {
            if (UNSUPPORTED_LOGGED.compareAndSet(false, true)) {
                LOG.log(Level.INFO, "hopper: directories cannot be forced on this platform (" + e
                        + "); new and renamed files rely on the file system's own ordering");
            }
            return;
        }
        try (ch) {
            ch.force(true);
        }
    }
}
