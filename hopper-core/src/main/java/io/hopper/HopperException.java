package io.hopper;

/**
 * Root of every error a channel reports. All are unchecked: a caller that wants to handle one
 * catches the specific subtype; the record that caused it is never consumed by the channel.
 */
public sealed class HopperException extends RuntimeException
        permits ChannelClosedException, RecordTooLargeException, StorageException,
                CorruptDataException, OperationInterruptedException, UnsupportedRecordException {

    private static final long serialVersionUID = 1L;

    HopperException(String message) {
        super(message);
    }

    HopperException(String message, Throwable cause) {
        super(message, cause);
    }
}
