package io.hopper;

/** The channel was closed: no further records are accepted or delivered through this instance. */
public final class ChannelClosedException extends HopperException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message names the channel's directory
     */
    public ChannelClosedException(String message) {
        super(message);
    }
}
