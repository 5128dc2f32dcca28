package io.hopper;

/**
 * Bytes read back from a queue file failed verification (checksum, framing or decoding).
 * Receivers do not throw this for a damaged frame: they skip it and count it in
 * {@link ChannelStats#corruptFramesSkipped()}. It is thrown where a caller hands bytes to the
 * codec directly, and it names the file and offset where that is known.
 */
public sealed class CorruptDataException extends HopperException permits IncompatibleRecordException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what failed verification, and where when known
     */
    public CorruptDataException(String message) {
        super(message);
    }

    /**
     * Creates the exception with its cause.
     *
     * @param message what failed verification, and where when known
     * @param cause   the decoder's or deserializer's exception
     */
    public CorruptDataException(String message, Throwable cause) {
        super(message, cause);
    }
}
