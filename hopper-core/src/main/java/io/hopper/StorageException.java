package io.hopper;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A queue file could not be created, written, read or deleted. The operation that reported it
 * did not take the record; records accepted earlier are not affected by the failure itself.
 */
public final class StorageException extends HopperException {
    private static final long serialVersionUID = 1L;

    public StorageException(String message, IOException cause) {
        super(message + ": " + cause, cause);
    }

    public StorageException(String message) {
        super(message);
    }

    /** The underlying I/O error, or {@code null} when the failure was detected without one. */
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
