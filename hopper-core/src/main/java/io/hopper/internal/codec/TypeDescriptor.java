package io.hopper.internal.codec;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * What a type id in a payload stands for: a class by name ({@link Kind#NAMED}, written by a
 * serializer the reader must also have), or a class and its field layout ({@link Kind#FIELDS},
 * written by {@link EvolvingSerializer}, so a reader whose class has since gained or lost fields
 * can still decode it). Two descriptors are the same type exactly when their encodings are equal.
 */
record TypeDescriptor(Kind kind, String className, List<Field> fields) {

    enum Kind { NAMED, FIELDS }

    /**
     * How one field's value is written.
     *
     * @param name     the field's (or record component's) name
     * @param typeName the declared type's {@link Class#getName()}
     * @param mode     how the value is written, so a reader can step over a field it no longer has
     */
    record Field(String name, String typeName, Mode mode) {
    }

    /** How a field value is encoded. */
    enum Mode {
        /** A primitive, written with Kryo's encoding for {@code typeName}. */
        PRIMITIVE,
        /** A final (or otherwise exact) type: a null flag and the value, no class id. */
        EXACT,
        /** Any type: a class id, then the value (the reader needs nothing but the id). */
        TAGGED
    }

    TypeDescriptor {
        fields = List.copyOf(fields);
    }

    static TypeDescriptor named(String className) {
        return new TypeDescriptor(Kind.NAMED, className, List.of());
    }

    /** The canonical encoding: what the registry stores and what the id is derived from. */
    byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(kind.ordinal());
            out.writeUTF(className);
            out.writeShort(fields.size());
            for (Field f : fields) {
                out.writeUTF(f.name());
                out.writeUTF(f.typeName());
                out.writeByte(f.mode().ordinal());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
        return bytes.toByteArray();
    }

    /**
     * Decodes {@link #encode()}'s bytes.
     *
     * @throws IOException if they are not a descriptor
     */
    static TypeDescriptor decode(byte[] b) throws IOException {
        DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(b));
        int kind = in.readUnsignedByte();
        if (kind >= Kind.values().length) {
            throw new IOException("unknown descriptor kind " + kind);
        }
        String className = in.readUTF();
        int n = in.readUnsignedShort();
        List<Field> fields = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String name = in.readUTF();
            String typeName = in.readUTF();
            int mode = in.readUnsignedByte();
            if (mode >= Mode.values().length) {
                throw new IOException("unknown field mode " + mode);
            }
            fields.add(new Field(name, typeName, Mode.values()[mode]));
        }
        if (in.available() != 0) {
            throw new IOException(in.available() + " trailing bytes after a descriptor");
        }
        TypeDescriptor d = new TypeDescriptor(Kind.values()[kind], className, fields);
        if (!Arrays.equals(d.encode(), b)) {
            throw new IOException("descriptor bytes are not canonical");
        }
        return d;
    }

    /**
     * The id this descriptor gets when no other descriptor holds it: CRC32C of the encoding and
     * {@code salt}, with the values 0 and 1 left out (they stand for null and "no id" in a payload).
     */
    static int candidateId(byte[] encoding, int salt) {
        CRC32C crc = new CRC32C();
        crc.update(encoding);
        crc.update(salt);
        int id = (int) crc.getValue();
        return (id == 0 || id == 1) ? id + 2 : id;
    }
}
