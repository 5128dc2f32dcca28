package io.hopper.internal.codec;

import io.hopper.Serializer;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;

/** A test serializer whose payload is the record's bytes as they are, so that frame sizes are exact. */
public final class RawBytes implements Serializer<byte[]> {
    @Override
    public void serialize(byte[] value, OutputStream out) throws IOException {
        out.write(value);
    }

    @Override
    public byte[] deserialize(byte[] bytes, int offset, int length) {
        return Arrays.copyOfRange(bytes, offset, offset + length);
    }
}
