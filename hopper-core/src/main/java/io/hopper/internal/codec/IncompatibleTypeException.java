package io.hopper.internal.codec;

import com.esotericsoftware.kryo.KryoException;

/**
 * A payload was written with a type or field layout that the reader's classes cannot take: a
 * field whose type changed, a class that no longer exists or is now written by another
 * serializer, or a type id the registry does not hold. {@link RecordCodec} reports it as
 * {@link io.hopper.IncompatibleRecordException}.
 */
final class IncompatibleTypeException extends KryoException {
    private static final long serialVersionUID = 1L;

    IncompatibleTypeException(String message) {
        super(message);
    }
}
