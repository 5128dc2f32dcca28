package io.hopper.internal.codec;

import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * hopper's LZ4 decoder against lz4-java, both ways: every block lz4-java's compressors (fast and
 * high) or hopper's compressor write decodes to the input; and on arbitrary or damaged bytes the
 * decoder either returns exactly what lz4-java's safe decompressor returns or refuses with
 * {@link Lz4BlockDecompressor.Lz4FormatException}, never another exception, never touching bytes
 * outside its ranges.
 */
class Lz4BlockDecompressorProperties {
    private static final LZ4Compressor FAST = LZ4Factory.safeInstance().fastCompressor();
    private static final LZ4Compressor HIGH = LZ4Factory.safeInstance().highCompressor();
    private static final LZ4SafeDecompressor REFERENCE = LZ4Factory.safeInstance().safeDecompressor();

    @Provide
    Arbitrary<byte[]> inputs() {
        // Short periods (1 to 19 bytes) repeated: matches that overlap their own output.
        Arbitrary<byte[]> periods = Arbitraries.integers().between(1, 19).flatMap(p ->
                Arbitraries.integers().between(0, 5000).map(n -> {
                    byte[] b = new byte[n];
                    for (int i = 0; i < n; i++) {
                        b[i] = (byte) ('A' + i % p);
                    }
                    return b;
                }));
        return Arbitraries.oneOf(Lz4BlockCompressorProperties.lz4Inputs(), periods);
    }

    @Property(tries = 300)
    void decodesWhatEveryCompressorWrites(@ForAll("inputs") byte[] input, @ForAll @IntRange(max = 40) int at) {
        for (int which = 0; which < 3; which++) {
            byte[] block = new byte[at + Lz4BlockCompressor.maxCompressedLength(input.length) + 7];
            int n = switch (which) {
                case 0 -> FAST.compress(input, 0, input.length, block, at);
                case 1 -> HIGH.compress(input, 0, input.length, block, at);
                default -> new Lz4BlockCompressor().compress(input, 0, input.length, block, at);
            };
            byte[] out = new byte[at + input.length + 5];
            assertEquals(input.length, Lz4BlockDecompressor.decompress(block, at, n, out, at, input.length),
                    "compressor " + which);
            assertArrayEquals(input, Arrays.copyOfRange(out, at, at + input.length), "compressor " + which);
        }
    }

    @Property(tries = 1000)
    void damagedBlocksAreRefusedOrDecodedAsLz4JavaDecodesThem(@ForAll("inputs") byte[] input,
                                                              @ForAll @IntRange(max = 1_000_000) int seed) {
        byte[] block = new byte[Lz4BlockCompressor.maxCompressedLength(input.length)];
        int n = FAST.compress(input, 0, input.length, block, 0);
        SplittableRandom r = new SplittableRandom(seed);
        byte[] damaged = Arrays.copyOf(block, Math.max(1, r.nextInt(n + 1)) );
        for (int flips = r.nextInt(4); flips > 0; flips--) {
            damaged[r.nextInt(damaged.length)] ^= (byte) (1 + r.nextInt(255));
        }
        agreeWithReference(damaged, input.length + r.nextInt(64));
    }

    @Property(tries = 1000)
    void arbitraryBytesAreRefusedOrDecodedAsLz4JavaDecodesThem(@ForAll byte[] bytes, @ForAll @IntRange(max = 5000) int room) {
        if (bytes.length > 0) {
            agreeWithReference(bytes, room);
        }
    }

    /** Ours succeeds exactly where it must: wherever lz4-java does, with the same bytes; never another exception. */
    private static void agreeWithReference(byte[] block, int room) {
        byte[] ours = new byte[room + 8];
        Arrays.fill(ours, (byte) 0x5A);
        int got;
        String refusal = null;
        try {
            got = Lz4BlockDecompressor.decompress(block, 0, block.length, ours, 4, room);
        } catch (Lz4BlockDecompressor.Lz4FormatException e) {
            got = -1;
            refusal = e.getMessage();
        }
        for (int i = 0; i < 4; i++) {
            assertEquals((byte) 0x5A, ours[i], "wrote before its range");
            assertEquals((byte) 0x5A, ours[room + 4 + i], "wrote past its range");
        }
        byte[] theirs = new byte[room];
        int expected;
        try {
            expected = REFERENCE.decompress(block, 0, block.length, theirs, 0, room);
        } catch (RuntimeException e) {
            expected = -1;
        }
        // Where lz4-java refuses, ours may still decode: lz4-java also enforces LZ4's end-of-block
        // rules (the last match starts 12 bytes before the end, the last 5 bytes are literals), and
        // a block that breaks only those decodes unambiguously. The frame checksum, not the
        // decoder, tells damage from data.
        // lz4-java also accepts a match offset of 0, which LZ4 forbids (it then "copies" whatever
        // the output buffer held); ours refuses it (Jazzer found the difference).
        if (expected >= 0 && !(got < 0 && refusal.startsWith("match offset 0 "))) {
            assertEquals(expected, got, "lz4-java decodes this block");
            assertArrayEquals(Arrays.copyOf(theirs, expected), Arrays.copyOfRange(ours, 4, 4 + expected));
        }
    }

    @Test
    void anOffsetOfZeroIsRefusedThoughLz4JavaTakesIt() {
        byte[] input = "0123456789abcdefghij".repeat(20).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] block = new byte[Lz4BlockCompressor.maxCompressedLength(input.length)];
        int n = FAST.compress(input, 0, input.length, block, 0);
        block = Arrays.copyOf(block, n);
        int at = 1; // the first sequence: token, literal length bytes, literals, then the match offset
        int literals = (block[0] & 0xFF) >>> 4;
        if (literals == 15) {
            int b;
            do {
                b = block[at++] & 0xFF;
                literals += b;
            } while (b == 255);
        }
        at += literals;
        block[at] = 0;
        block[at + 1] = 0;
        byte[] theirs = new byte[input.length];
        assertEquals(input.length, REFERENCE.decompress(block, 0, n, theirs, 0, input.length), "lz4-java's leniency");
        byte[] damaged = block;
        Lz4BlockDecompressor.Lz4FormatException e = assertThrows(Lz4BlockDecompressor.Lz4FormatException.class,
                () -> Lz4BlockDecompressor.decompress(damaged, 0, n, new byte[input.length], 0, input.length));
        assertTrue(e.getMessage().startsWith("match offset 0 "), e.getMessage());
    }

    @Test
    void malformedBlocksNameTheirFault() {
        byte[] out = new byte[64];
        assertThrows(Lz4BlockDecompressor.Lz4FormatException.class,
                () -> Lz4BlockDecompressor.decompress(new byte[] {(byte) 0x10}, 0, 1, out, 0, 64), "literal past the block");
        assertThrows(Lz4BlockDecompressor.Lz4FormatException.class,
                () -> Lz4BlockDecompressor.decompress(new byte[] {0x10, 'a', 0x00, 0x00}, 0, 4, out, 0, 64), "offset 0");
        assertThrows(Lz4BlockDecompressor.Lz4FormatException.class,
                () -> Lz4BlockDecompressor.decompress(new byte[] {0x10, 'a', 0x02, 0x00}, 0, 4, out, 0, 64),
                "offset before the output");
        assertThrows(Lz4BlockDecompressor.Lz4FormatException.class,
                () -> Lz4BlockDecompressor.decompress(new byte[] {0x10, 'a', 0x01, 0x00, 0x00}, 0, 5, out, 0, 3),
                "match past the output");
        assertThrows(Lz4BlockDecompressor.Lz4FormatException.class,
                () -> Lz4BlockDecompressor.decompress(new byte[] {0x10, 'a', 0x01, 0x00}, 0, 4, out, 0, 64),
                "ends with a match");
        assertEquals(12, Lz4BlockDecompressor.decompress(new byte[] {0x14, 'a', 0x01, 0x00, 0x30, 'b', 'c', 'd'}, 0, 8,
                out, 0, 64), "one literal, a match of 8 at offset 1 (overlapping its own output), three literals");
        assertEquals("aaaaaaaaabcd", new String(out, 0, 12, java.nio.charset.StandardCharsets.US_ASCII));
    }
}
