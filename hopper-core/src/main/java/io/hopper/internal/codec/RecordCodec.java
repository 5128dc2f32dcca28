package io.hopper.internal.codec;

import io.hopper.Compression;
import io.hopper.CorruptDataException;
import io.hopper.IncompatibleRecordException;
import io.hopper.Serializer;
import io.hopper.StorageException;
import io.hopper.UnsupportedRecordException;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32C;

/**
 * Serializes and compresses records for the disk tier, and reverses it.
 *
 * <p><b>Plain records.</b> A channel of {@code byte[]} or {@code String} records with the default
 * serializer stores each record as its own bytes (a {@code byte[]} as it is, a {@code String} as
 * UTF-8): no class id, no Kryo, one copy fewer each way. The frame says so
 * ({@link PayloadCodec#FORM_BYTES}, {@link PayloadCodec#FORM_UTF8}), so a directory may hold both
 * forms (files written before this form existed decode through the serializer as before) and any
 * channel whose type can hold the value reads them.
 *
 * <p>Encoding runs on producer threads, outside every channel lock, into a per-thread buffer
 * ({@link EncodedRecord}) with that thread's {@link Lz4BlockCompressor} and checksum; nothing is
 * allocated per record once the buffers have grown.
 * Decoding runs on the consumer under the front lock, into a {@link DecodeScratch} it owns.
 *
 * <p>Payload layout: the serialized bytes as they are, or, when LZ4 makes them smaller, a
 * little-endian {@code u32} raw length followed by one LZ4 block. The decoder never trusts that
 * length: it must be plausible for the block's size (LZ4 expands at most 255:1), and the safe
 * decompressor must produce exactly that many bytes.
 */
public final class RecordCodec<T> {
    /** Buffers that grew past this for an outsized record are dropped after use. */
    private static final int KEEP_BUFFER_LIMIT = 4 << 20;
    private static final int STORED = PayloadCodec.STORED.id;

    private final Serializer<T> serializer;
    /** The form bit this channel writes its records in, or 0 when the serializer writes them. */
    private final int plainForm;
    /** The channel's record type, for plain frames; null when unknown (tools, tests): any plain value is taken. */
    private final Class<T> type;
    private final Compression compression;
    private final int headerRoom;
    /** Frames handed to callers, reused once released. */
    private final BoundedPool<EncodedRecord> frames = new BoundedPool<>(BoundedPool.defaultSize(),
            () -> new EncodedRecord(1024));
    /** Serialization buffers, compressors and checksums, borrowed for one encoding at a time. */
    private final BoundedPool<EncodedRecord.Scratch> scratches = new BoundedPool<>(BoundedPool.defaultSize(),
            EncodedRecord.Scratch::new);
    /** Classes whose first record made the round trip ({@link #verify}); only ever grows. */
    private final Map<Class<?>, Boolean> verified = new ConcurrentHashMap<>();
    /**
     * The class {@link #verify} passed last: a racy one-entry cache in front of {@link #verified}.
     * Any thread writes it, without ordering; a reader that sees a stale value just asks the map.
     */
    private Class<?> lastVerified;

    public RecordCodec(Serializer<T> serializer, Compression compression, int headerRoom) {
        this(serializer, null, false, compression, headerRoom);
    }

    /**
     * A codec for a channel of {@code type}. With {@code plain}, {@code byte[]} and {@code String}
     * channels store their records as their own bytes ({@link #plainFormOf}); the serializer still
     * decodes frames of the serializer's form.
     */
    public RecordCodec(Serializer<T> serializer, Class<T> type, boolean plain, Compression compression,
                       int headerRoom) {
        this.serializer = serializer;
        this.type = type;
        this.plainForm = plain ? plainFormOf(type) : 0;
        this.compression = compression;
        this.headerRoom = headerRoom;
    }

    /** The plain form records of {@code type} are written in: {@code byte[]} and {@code String} have one, other types 0. */
    public static int plainFormOf(Class<?> type) {
        return type == byte[].class ? PayloadCodec.FORM_BYTES : type == String.class ? PayloadCodec.FORM_UTF8 : 0;
    }

    /** The form bit this codec writes records in (0: the serializer's bytes). */
    public int plainForm() {
        return plainForm;
    }

    /**
     * Encodes {@code value} into a frame borrowed from the codec's pool: the caller owns the
     * result until it passes it to {@link #release}. The encoder state (buffers, hash table,
     * Kryo) is pooled too, so it grows with the threads encoding at once, not with the threads
     * that ever encoded (virtual threads).
     *
     * @throws UnsupportedRecordException if the serializer fails on the record
     * @throws StorageException           if a new type could not be recorded in the channel's registry
     */
    public EncodedRecord encode(T value) {
        EncodedRecord.Scratch x = scratches.borrow();
        EncodedRecord r = frames.borrow();
        boolean ok = false;
        try {
            encode(value, x, r);
            ok = true;
            return r;
        } finally {
            x.raw.shrinkIfLargerThan(KEEP_BUFFER_LIMIT, 1024);
            scratches.release(x);
            if (!ok) {
                release(r);
            }
        }
    }

    /** {@return encoder states (buffers and compressor) made so far} For tests: it follows concurrency, not threads. */
    long scratchesCreated() {
        return scratches.created();
    }

    /** Gives back a frame {@link #encode} returned; null is ignored. The caller must not use it afterwards. */
    public void release(EncodedRecord r) {
        if (r != null) {
            r.frame.shrinkIfLargerThan(KEEP_BUFFER_LIMIT, 1024);
            frames.release(r);
        }
    }

    private void encode(T value, EncodedRecord.Scratch x, EncodedRecord r) {
        byte[] src;
        int rawLen;
        if (plainForm == PayloadCodec.FORM_BYTES) {
            src = (byte[]) value; // read, never kept: the frame gets a copy or its compression
            rawLen = src.length;
        } else if (plainForm == PayloadCodec.FORM_UTF8) {
            src = ((String) value).getBytes(StandardCharsets.UTF_8);
            rawLen = src.length;
        } else {
            x.raw.reset();
            try {
                serializer.serialize(value, x.raw);
            } catch (Throwable e) {
                throw encodingFailure(value, e);
            }
            src = x.raw.array();
            rawLen = x.raw.length();
        }
        ByteSink frame = r.frame;
        frame.reset();
        frame.reserve(headerRoom);
        int payloadStart = headerRoom;
        boolean compressed = false;
        int payloadLen = rawLen;
        if (compression != Compression.NONE && rawLen > 16) {
            frame.reserve(headerRoom + 4 + Lz4BlockCompressor.maxCompressedLength(rawLen));
            byte[] out = frame.array();
            int clen = x.compressor.compress(src, 0, rawLen, out, payloadStart + 4);
            if (4 + clen < rawLen) {
                putIntLE(out, payloadStart, rawLen);
                compressed = true;
                payloadLen = 4 + clen;
            }
        }
        if (!compressed) {
            frame.reserve(headerRoom + rawLen);
            System.arraycopy(src, 0, frame.array(), payloadStart, rawLen);
        }
        setLength(frame, headerRoom + payloadLen);
        CRC32C crc = x.crc;
        crc.reset();
        crc.update(frame.array(), payloadStart, payloadLen);
        r.payloadLength = payloadLen;
        r.serializedLength = rawLen;
        r.payloadCrc = (int) crc.getValue();
        r.codec = (compressed ? PayloadCodec.LZ4.id : PayloadCodec.STORED.id) | plainForm;
    }

    /**
     * Makes sure records of {@code value}'s class can be stored: the first record of each class
     * is encoded and decoded once (without recording new types), and a failure refuses it.
     * Costs one field read for a class seen before.
     *
     * @throws UnsupportedRecordException if the round trip fails
     */
    @SuppressWarnings("unchecked")
    public void verify(T value) {
        if (plainForm != 0) {
            return; // a byte[] or a String: its own bytes, nothing to check
        }
        Class<?> c = value.getClass();
        if (c == lastVerified) {
            return; // the hot path only reads the cache: a store here on every send would bounce its line between producers
        }
        if (verified.containsKey(c)) {
            lastVerified = c;
            return;
        }
        Object back;
        try {
            if (serializer instanceof KryoSerializer<T> kryo) {
                back = kryo.roundTrip(value);
            } else {
                ByteArrayOutputStream out = new ByteArrayOutputStream(256);
                serializer.serialize(value, out);
                byte[] b = out.toByteArray();
                back = serializer.deserialize(b, 0, b.length);
            }
        } catch (Throwable e) {
            throw encodingFailure(value, e);
        }
        if (back == null || back.getClass() != c) {
            throw new UnsupportedRecordException(c.getName(), "it reads back as "
                    + (back == null ? "null" : "a " + back.getClass().getName()), null);
        }
        verified.put(c, Boolean.TRUE);
        lastVerified = c;
    }

    private static RuntimeException encodingFailure(Object value, Throwable e) {
        rethrowIfFatal(e);
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof TypeRegistry.StoreFailedException f) {
                return new StorageException(f.getMessage(), f.getCause());
            }
        }
        return new UnsupportedRecordException(value.getClass().getName(), String.valueOf(e.getMessage()), e);
    }

    /**
     * Errors of the JVM rather than of the bytes: out of memory, internal errors. They propagate
     * as they are, and the record stays where it was (not skipped, not lost). A stack overflow is
     * the bytes' doing (a deep or cyclic graph) and is not rethrown.
     */
    private static void rethrowIfFatal(Throwable e) {
        if (e instanceof VirtualMachineError && !(e instanceof StackOverflowError)) {
            throw (VirtualMachineError) e;
        }
    }

    private static void setLength(ByteSink sink, int length) {
        sink.reset();
        sink.reserve(length);
        // ByteSink has no public count setter by design; advance by a no-copy trick.
        sink.advance(length);
    }

    /**
     * Decodes one payload stored in form {@code form}: the codec id ({@link PayloadCodec}) and the
     * form bits, as the frame names them. {@code scratch} belongs to the consumer.
     *
     * @throws CorruptDataException when the bytes do not decompress or deserialize (whatever the
     *                              serializer threw, errors included), or the codec or form is
     *                              unknown; {@link IncompatibleRecordException} when they were
     *                              written with a layout the class cannot take now, or as a plain
     *                              value the channel's type cannot hold
     */
    public T decode(byte[] buf, int off, int len, int form, DecodeScratch scratch) {
        byte[] src = buf;
        int srcOff = off;
        int srcLen = len;
        int codec = form & PayloadCodec.ID_BITS;
        if (codec != STORED) {
            srcLen = PayloadCodec.byId(codec).decode(buf, off, len, scratch);
            src = scratch.bytes();
            srcOff = 0;
        }
        int plain = form & PayloadCodec.FORM_BITS;
        return plain != 0 ? decodePlain(plain, src, srcOff, srcLen) : deserialize(src, srcOff, srcLen);
    }

    /**
     * The serializer's decoding of raw bytes, its failures typed. Apart from {@link #decode} so that
     * the per-record path stays small enough for the JIT to inline into its callers.
     */
    private T deserialize(byte[] src, int srcOff, int srcLen) {
        try {
            T value = serializer.deserialize(src, srcOff, srcLen);
            if (value == null) {
                throw new CorruptDataException("serializer returned null");
            }
            return value;
        } catch (CorruptDataException e) {
            throw e;
        } catch (Throwable e) {
            rethrowIfFatal(e);
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof IncompatibleTypeException) {
                    throw new IncompatibleRecordException("record does not fit its class any more: " + e.getMessage(), e);
                }
            }
            throw new CorruptDataException("record does not deserialize: " + e, e);
        }
    }

    @SuppressWarnings("unchecked")
    private T decodePlain(int plain, byte[] src, int off, int len) {
        Object value;
        if (plain == PayloadCodec.FORM_BYTES) {
            value = java.util.Arrays.copyOfRange(src, off, off + len);
        } else if (plain == PayloadCodec.FORM_UTF8) {
            value = new String(src, off, len, StandardCharsets.UTF_8);
        } else {
            throw new CorruptDataException("record form " + Integer.toHexString(plain) + " is unknown to this version of hopper");
        }
        if (type != null && !type.isInstance(value)) {
            throw new IncompatibleRecordException("record was stored as a plain " + value.getClass().getSimpleName()
                    + ", which is not a " + type.getName(), null);
        }
        return (T) value;
    }

    static void putIntLE(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >>> 8);
        b[off + 2] = (byte) (v >>> 16);
        b[off + 3] = (byte) (v >>> 24);
    }

    static int getIntLE(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8 | (b[off + 2] & 0xff) << 16 | (b[off + 3] & 0xff) << 24;
    }

    /** The consumer's reusable decompression buffer. */
    public static final class DecodeScratch {
        private byte[] buf = new byte[1024];

        /** The buffer the last {@link PayloadCodec#decode} wrote into. */
        public byte[] bytes() {
            return buf;
        }

        byte[] ensure(int n) {
            if (buf.length < n || buf.length > KEEP_BUFFER_LIMIT && n <= KEEP_BUFFER_LIMIT) {
                buf = new byte[Math.max(n, 1024)];
            }
            return buf;
        }
    }
}
