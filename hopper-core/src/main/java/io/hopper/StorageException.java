package io.hopper;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A queue file could not be created, written, read or deleted. The operation that reported it
 * did not take the record; records accepted earlier are not affected by the failure itself.
 */
public final class StorageException extends HopperException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception with the I/O error behind it.
     *
     * @param message what was being done, naming the file or directory
     * @param cause   the I/O error
     */
    public StorageException(String message, IOException cause) {
        super(message + ": " + cause, cause);
    }

    /**
     * Creates the exception.
     *
     * @param message what failed, naming the file or directory
     */
    public StorageException(String message) {
        super(message);
    }

    /** {@return the underlying I/O error, or {@code null} when the failure was detected without one} */
    public IOException ioCause() {
        Throwable c = getCause();
        if (c instanceof IOException io) {
            return io;
        }
        if (c instanceof UncheckedIOException u) {
            return u.getCause();
        }
        return null;
    }
}
