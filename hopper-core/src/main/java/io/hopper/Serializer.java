package io.hopper;

import com.esotericsoftware.kryo.Kryo;
import io.hopper.internal.codec.KryoSerializer;

import java.io.IOException;
import java.io.OutputStream;
import java.util.function.Consumer;

/**
 * Turns records into bytes for the disk tier and back. Only records that spill to disk are
 * serialized. Implementations must be thread-safe: producers serialize concurrently, outside
 * the channel's locks, and the consumer deserializes.
 *
 * @param <T> the record type
 */
public interface Serializer<T> {

    /**
     * Writes the encoding of {@code value} to {@code out}. The stream is an in-memory buffer owned
     * by the calling thread; do not close it or keep it.
     *
     * @param value the record, never null
     * @param out   where the encoding goes
     * @throws IOException if the record cannot be encoded; the send reports it and does not take the record
     */
    void serialize(T value, OutputStream out) throws IOException;

    /**
     * Reads one record from exactly {@code length} bytes of {@code bytes} starting at {@code offset}.
     * The array is reused after the call returns: copy what the record keeps.
     *
     * @param bytes  holds the encoding
     * @param offset where it starts
     * @param length how long it is
     * @return the record
     * @throws IOException or any runtime exception when the bytes are not a valid encoding; the
     *                     channel reports the frame as corrupt and skips it
     */
    T deserialize(byte[] bytes, int offset, int length) throws IOException;

    /**
     * The default: Kryo 5 with {@code type} registered, unregistered nested classes written by name,
     * references off, and Java records supported. Works for plain classes (with or without a no-arg
     * constructor) and records without further set-up.
     *
     * @param <T>  the record type
     * @param type the record class, registered first
     * @return a thread-safe serializer (one Kryo instance per thread)
     */
    static <T> Serializer<T> kryo(Class<T> type) {
        return new KryoSerializer<>(type, kryo -> { });
    }

    /**
     * Kryo 5 as {@link #kryo(Class)}, then {@code configure} is applied to every Kryo instance to
     * register more classes or serializers. Instances are pooled: there are as many as threads
     * serialize at the same time (a few retained, however many threads come and go), each made and
     * configured once. The configuration must be the same each time it runs: records written by
     * one instance are read by another.
     *
     * @param <T>       the record type
     * @param type      the record class, registered first
     * @param configure applied to each new Kryo instance
     * @return a thread-safe serializer
     */
    static <T> Serializer<T> kryo(Class<T> type, Consumer<Kryo> configure) {
        return new KryoSerializer<>(type, configure);
    }
}
