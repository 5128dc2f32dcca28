package io.hopper.internal.segment;

import io.hopper.internal.codec.Lz4BlockCompressor;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A block of records reads back as exactly the records put in, and refuses anything else. */
class RecordBlockProperties {

    @Provide
    Arbitrary<List<byte[]>> records() {
        Arbitrary<byte[]> text = Arbitraries.strings().withChars("{}\":,abcdefghij 0123456789").ofMinLength(0)
                .ofMaxLength(400).map(String::getBytes);
        Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMinSize(0).ofMaxSize(300);
        Arbitrary<byte[]> large = Arbitraries.integers().between(128, 20_000).map(n -> {
            byte[] b = new byte[n];
            Arrays.fill(b, (byte) (n % 7));
            return b;
        });
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, text), net.jqwik.api.Tuple.of(3, random), net.jqwik.api.Tuple.of(1, large))
                .list().ofMinSize(1).ofMaxSize(300);
    }

    private static byte[] payload(List<byte[]> records) {
        RecordBlock b = new RecordBlock();
        for (byte[] r : records) {
            b.add(r, 0, r.length);
        }
        assertEquals(records.size(), b.count());
        byte[] out = new byte[b.maxPayloadLength() + 8];
        int n = b.writePayload(new Lz4BlockCompressor(), out, 3);
        return Arrays.copyOfRange(out, 3, 3 + n);
    }

    @Property(tries = 300)
    void roundTrips(@ForAll("records") List<byte[]> records) throws Exception {
        byte[] p = payload(records);
        RecordBlock r = new RecordBlock();
        r.read(p, 0, p.length, records.size());
        assertEquals(records.size(), r.count());
        for (int i = 0; i < records.size(); i++) {
            byte[] got = Arrays.copyOfRange(r.array(), r.offset(i), r.offset(i) + r.length(i));
            assertArrayEquals(records.get(i), got, "record " + i);
        }
    }

    /** A record count other than the one written is refused: the frame header and the block must agree. */
    @Property(tries = 200)
    void aWrongCountIsRefused(@ForAll("records") List<byte[]> records, @ForAll @IntRange(min = 1, max = 5) int off)
            throws Exception {
        byte[] p = payload(records);
        RecordBlock r = new RecordBlock();
        assertThrows(RecordBlock.MalformedBlockException.class, () -> r.read(p, 0, p.length, records.size() + off));
        if (records.size() > off) {
            assertThrows(RecordBlock.MalformedBlockException.class, () -> r.read(p, 0, p.length, records.size() - off));
        }
    }

    /**
     * Any change to a block's bytes either is refused or reads back as some records (the payload
     * checksum is what catches damage before a block is read; this only shows that reading a
     * damaged block can neither run past its buffers nor throw anything but the typed refusal).
     */
    @Property(tries = 500)
    void damageIsRefusedOrBounded(@ForAll("records") List<byte[]> records, @ForAll @IntRange(min = 0, max = 10_000) int at,
                                  @ForAll @IntRange(min = 1, max = 255) int flip) {
        byte[] p = payload(records);
        p[at % p.length] ^= (byte) flip;
        RecordBlock r = new RecordBlock();
        try {
            r.read(p, 0, p.length, records.size());
            for (int i = 0; i < r.count(); i++) {
                assertTrue(r.offset(i) + r.length(i) <= r.array().length);
            }
        } catch (RecordBlock.MalformedBlockException expected) {
            // the typed refusal
        }
    }
}
