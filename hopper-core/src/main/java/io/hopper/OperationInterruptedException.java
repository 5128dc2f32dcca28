package io.hopper;

/**
 * The calling thread was interrupted while blocked inside a method that cannot throw the checked
 * {@link InterruptedException} (the blocking iterator). The thread's interrupt status is set again
 * before this is thrown.
 */
public final class OperationInterruptedException extends HopperException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what the thread was waiting for
     * @param cause   the interruption
     */
    public OperationInterruptedException(String message, InterruptedException cause) {
        super(message, cause);
    }
}
