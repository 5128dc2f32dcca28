package io.hopper.internal.file;

import java.io.IOException;
import java.nio.channels.ClosedByInterruptException;

/**
 * Runs a short file operation that opens its own channels (write a temporary file, force it,
 * rename it; force a directory; read a whole file) so that no interrupt of the calling thread can
 * make it fail: the interrupt status is cleared for the operation and set again after it, and an
 * interrupt that arrives during the operation (which closes the channel it was using, see
 * {@link InterruptSafeChannel}) makes it run again from the start. The operation must therefore
 * be safe to run again: it opens what it uses, and writes whole, positioned content.
 */
public final class Uninterruptibly {

    /** A file operation that returns a value. */
    @FunctionalInterface
    public interface IoCall<T> {
        T call() throws IOException;
    }

    /** A file operation. */
    @FunctionalInterface
    public interface IoRun {
        void run() throws IOException;
    }

    private Uninterruptibly() {
    }

    /** Runs {@code op} (see the class comment) and returns what it returns. */
    public static <T> T call(IoCall<T> op) throws IOException {
        boolean interrupted = Thread.interrupted();
        try {
            for (;;) {
                try {
                    return op.call();
                } catch (IOException | RuntimeException e) {
                    if (!closedByInterrupt(e)) {
                        throw e;
                    }
                    interrupted = true;
                    Thread.interrupted(); // cleared again for the next attempt; set once more at the end
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Runs {@code op} (see the class comment). */
    public static void run(IoRun op) throws IOException {
        call(() -> {
            op.run();
            return null;
        });
    }

    /**
     * Whether {@code e} is, or was caused by, a channel closed because this thread was interrupted
     * during an operation on it (a library may wrap the JDK's exception in its own).
     */
    static boolean closedByInterrupt(Throwable e) {
        int depth = 0;
        for (Throwable t = e; t != null && depth < 32; t = t.getCause(), depth++) { // bounded: a cause chain may loop
            if (t instanceof ClosedByInterruptException) {
                return true;
            }
        }
        return false;
    }
}
