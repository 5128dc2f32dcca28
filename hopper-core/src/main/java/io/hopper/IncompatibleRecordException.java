package io.hopper;

/**
 * A stored record was written with a layout that the record's class as it is now cannot take: a
 * field whose type changed incompatibly, a class that no longer exists, or a class now written by
 * another serializer. Like any record that no longer decodes, the receiver skips it and counts it
 * ({@link ChannelStats#corruptFramesSkipped()}, {@link ChannelStats#recordsLost()}) and logs this
 * message; it is thrown where a caller decodes bytes itself.
 *
 * <p>Compatible changes never get here: see "Schema evolution" in docs/usage.md.
 */
public final class IncompatibleRecordException extends CorruptDataException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message which class and field, as written and as declared now
     * @param cause   the decoder's exception
     */
    public IncompatibleRecordException(String message, Throwable cause) {
        super(message, cause);
    }
}
