package io.hopper;

/**
 * A record cannot be written to the disk tier: its serializer fails on it, or what it writes does
 * not read back as a record of the same class (no serializer for a field's type, a field that
 * cannot be accessed, an object graph with a cycle, ...). The send that reports it did not take
 * the record; the message names the record's class and, where the serializer says, the field.
 *
 * <p>A channel checks the first record of every class it is sent with a full round trip, memory
 * tier or not, so a class that cannot be stored is refused at its first send instead of being
 * lost when it spills, at a close, or at the receive.
 */
public final class UnsupportedRecordException extends HopperException {
    private static final long serialVersionUID = 1L;

    /** The record's class name. */
    private final String recordClass;

    /**
     * Creates the exception.
     *
     * @param recordClass the record's class name
     * @param message     what failed, naming the field where known
     * @param cause       the serializer's exception
     */
    public UnsupportedRecordException(String recordClass, String message, Throwable cause) {
        super("a record of " + recordClass + " cannot be stored: " + message, cause);
        this.recordClass = recordClass;
    }

    /** {@return the class name of the record that was refused} */
    public String recordClass() {
        return recordClass;
    }
}
