package io.hopper.internal.codec;

import io.hopper.Compression;
import io.hopper.CorruptDataException;
import io.hopper.IncompatibleRecordException;
import io.hopper.Serializer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Plain records: a {@code byte[]} or {@code String} channel with the default serializer stores a
 * record as its own bytes, and the frame's form bits say so; any codec reads any form it can hold.
 */
class PlainFormTest {

    private static final int HEADER = 24;
    private final RecordCodec.DecodeScratch scratch = new RecordCodec.DecodeScratch();

    private static byte[] payload(EncodedRecord e) {
        return Arrays.copyOfRange(e.buffer(), HEADER, HEADER + e.payloadLength());
    }

    private static <T> RecordCodec<T> plain(Class<T> type, Compression c) {
        return new RecordCodec<>(Serializer.kryo(type), type, true, c, HEADER);
    }

    private static <T> T decode(RecordCodec<T> codec, EncodedRecord e, RecordCodec.DecodeScratch s) {
        return codec.decode(e.buffer(), HEADER, e.payloadLength(), e.codec(), s);
    }

    @Test
    void aByteArrayIsStoredAsItselfWithNoClassIdAndComesBackAsACopy() {
        RecordCodec<byte[]> codec = plain(byte[].class, Compression.NONE);
        byte[] v = "0123456789abcdef-raw".getBytes(StandardCharsets.US_ASCII);
        EncodedRecord e = codec.encode(v);
        assertEquals(PayloadCodec.FORM_BYTES | PayloadCodec.STORED.id, e.codec());
        assertArrayEquals(v, payload(e), "the payload is the array, byte for byte");
        byte[] back = decode(codec, e, scratch);
        assertArrayEquals(v, back);
        assertNotSame(v, back);
    }

    @Test
    void aStringIsStoredAsItsUtf8() {
        RecordCodec<String> codec = plain(String.class, Compression.NONE);
        String v = "grüße, 世界, \uD834\uDD1E, and a NUL \0 too";
        EncodedRecord e = codec.encode(v);
        assertEquals(PayloadCodec.FORM_UTF8, e.codec());
        assertArrayEquals(v.getBytes(StandardCharsets.UTF_8), payload(e));
        assertEquals(v, decode(codec, e, scratch));
        assertEquals("", decode(codec, codec.encode(""), scratch));
    }

    @Test
    void plainRecordsAreCompressedLikeAnyOtherAndKeepTheirForm() {
        RecordCodec<String> codec = plain(String.class, Compression.LZ4);
        String v = "GET /api/items ".repeat(20);
        EncodedRecord e = codec.encode(v);
        assertEquals(PayloadCodec.FORM_UTF8 | PayloadCodec.LZ4.id, e.codec());
        assertTrue(e.compressed());
        assertTrue(e.payloadLength() < v.length());
        assertEquals(v.length(), e.serializedLength());
        assertEquals(v, decode(codec, e, scratch));
    }

    @Test
    void aCodecWithoutThePlainFormStillWritesTheSerializersBytes() {
        Serializer<byte[]> serializer = Serializer.kryo(byte[].class); // one registry of class ids for both codecs
        RecordCodec<byte[]> kryo = new RecordCodec<>(serializer, byte[].class, false, Compression.NONE, HEADER);
        byte[] v = {1, 2, 3};
        EncodedRecord e = kryo.encode(v);
        assertEquals(0, e.codec() & PayloadCodec.FORM_BITS);
        assertTrue(e.payloadLength() > v.length, "a class id precedes Kryo's bytes");
        assertArrayEquals(v, decode(kryo, e, scratch));
        // And a plain codec reads the serializer's frames a directory kept from before.
        RecordCodec<byte[]> plain = new RecordCodec<>(serializer, byte[].class, true, Compression.NONE, HEADER);
        assertArrayEquals(v, decode(plain, e, scratch));
    }

    @Test
    void onlyByteArraysAndStringsHaveAPlainForm() {
        assertEquals(PayloadCodec.FORM_BYTES, RecordCodec.plainFormOf(byte[].class));
        assertEquals(PayloadCodec.FORM_UTF8, RecordCodec.plainFormOf(String.class));
        assertEquals(0, RecordCodec.plainFormOf(Object.class));
        assertEquals(0, RecordCodec.plainFormOf(CharSequence.class));
        assertEquals(0, plain(Object.class, Compression.NONE).plainForm(), "an Object channel uses the serializer");
    }

    @Test
    void aChannelWhoseTypeHoldsThePlainValueReadsIt() {
        EncodedRecord s = plain(String.class, Compression.NONE).encode("text");
        EncodedRecord b = plain(byte[].class, Compression.NONE).encode(new byte[] {9});
        RecordCodec<Object> any = new RecordCodec<>(Serializer.kryo(Object.class), Object.class, true,
                Compression.NONE, HEADER);
        assertEquals("text", decode(any, s, scratch));
        assertArrayEquals(new byte[] {9}, (byte[]) decode(any, b, scratch));
        RecordCodec<CharSequence> chars = new RecordCodec<>(Serializer.kryo(CharSequence.class), CharSequence.class,
                true, Compression.NONE, HEADER);
        assertEquals("text", decode(chars, s, scratch));
    }

    @Test
    void aPlainValueTheChannelsTypeCannotHoldIsATypedError() {
        EncodedRecord s = plain(String.class, Compression.NONE).encode("text");
        RecordCodec<byte[]> bytes = plain(byte[].class, Compression.NONE);
        IncompatibleRecordException e = assertThrows(IncompatibleRecordException.class, () -> decode(bytes, s, scratch));
        assertTrue(e.getMessage().contains("String"), e.getMessage());
    }

    @Test
    void bothFormBitsAtOnceAreDamageNotAGuess() {
        RecordCodec<byte[]> codec = plain(byte[].class, Compression.NONE);
        EncodedRecord e = codec.encode(new byte[] {1});
        assertThrows(CorruptDataException.class, () -> codec.decode(e.buffer(), HEADER, e.payloadLength(),
                PayloadCodec.FORM_BITS, scratch));
    }

    @Test
    void aPlainRecordNeverMeetsTheSerializer() {
        Serializer<String> refuses = new Serializer<>() {
            @Override
            public void serialize(String value, java.io.OutputStream out) {
                throw new IllegalStateException("serializer used for a plain record");
            }

            @Override
            public String deserialize(byte[] bytes, int offset, int length) {
                throw new IllegalStateException("serializer used for a plain record");
            }
        };
        RecordCodec<String> codec = new RecordCodec<>(refuses, String.class, true, Compression.LZ4, HEADER);
        codec.verify("anything");
        assertEquals("anything", decode(codec, codec.encode("anything"), scratch));
    }
}
