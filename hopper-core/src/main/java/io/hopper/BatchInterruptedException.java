package io.hopper;

/**
 * {@link Sender#sendAll(java.util.List)} was interrupted while it waited for room: the first
 * {@link #accepted()} records of the list are in the channel, the rest stay with the caller.
 * Catching {@link InterruptedException} catches it too.
 */
public final class BatchInterruptedException extends InterruptedException {
    private static final long serialVersionUID = 1L;

    /** How many records of the batch, from its start, the channel took. */
    private final int accepted;

    /**
     * Creates the exception.
     *
     * @param accepted how many records of the batch, from its start, the channel took
     * @param total    the size of the batch
     */
    public BatchInterruptedException(int accepted, int total) {
        super("interrupted while waiting for room after " + accepted + " of " + total + " records were accepted");
        this.accepted = accepted;
    }

    /** {@return how many records of the batch, from its start, the channel took before the interruption} */
    public int accepted() {
        return accepted;
    }
}
