package io.hopper.internal.codec;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * Random inputs of four kinds (noise, a three-letter alphabet, long runs, JSON-like lines): every
 * block round-trips through lz4-java and obeys the format's end rules, and a compressor that has
 * already compressed something writes byte for byte what a fresh one writes.
 */
class Lz4BlockCompressorProperties {

    @Provide
    Arbitrary<byte[]> inputs() {
        return lz4Inputs();
    }

    /** Noise, a three-letter alphabet, long runs and JSON-like lines: the inputs both LZ4 directions are tested on. */
    static Arbitrary<byte[]> lz4Inputs() {
        Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(3000);
        Arbitrary<byte[]> fewSymbols = Arbitraries.bytes().between((byte) 'a', (byte) 'c').array(byte[].class).ofMaxSize(3000);
        Arbitrary<byte[]> runs = Arbitraries.integers().between(0, 70_000).map(n -> {
            byte[] b = new byte[n];
            Arrays.fill(b, (byte) 7);
            return b;
        });
        Arbitrary<byte[]> lines = Arbitraries.longs().map(seed -> Lz4BlockCompressorTest.jsonLines(new SplittableRandom(seed), 1 + (int) Math.floorMod(seed, 40)));
        return Arbitraries.oneOf(random, fewSymbols, runs, lines);
    }

    @Property(tries = 300)
    void lz4JavaRestoresEveryBlock(@ForAll("inputs") byte[] input) {
        Lz4BlockCompressorTest.roundTrip(new Lz4BlockCompressor(), input, 0, input.length);
    }

    @Property(tries = 200)
    void aReusedCompressorWritesWhatAFreshOneWrites(@ForAll("inputs") byte[] first, @ForAll("inputs") byte[] second,
                                                    @ForAll @IntRange(max = 40) int firstAt,
                                                    @ForAll @IntRange(max = 40) int secondAt) {
        // Each input sits at an offset inside a larger array, as records do in the encode buffer.
        Lz4BlockCompressor reused = new Lz4BlockCompressor();
        Lz4BlockCompressorTest.roundTrip(reused, at(first, firstAt), firstAt, first.length);
        byte[] src = at(second, secondAt);
        byte[] a = new byte[Lz4BlockCompressor.maxCompressedLength(second.length)];
        byte[] b = a.clone();
        int na = reused.compress(src, secondAt, second.length, a, 0);
        int nb = new Lz4BlockCompressor().compress(second, 0, second.length, b, 0);
        assertArrayEquals(Arrays.copyOf(b, nb), Arrays.copyOf(a, na),
                "a position left in the table by the previous call leaked into this block");
        Lz4BlockCompressorTest.roundTrip(reused, src, secondAt, second.length);
    }

    /** {@code data} at {@code offset} in an array with random bytes around it. */
    private static byte[] at(byte[] data, int offset) {
        byte[] out = new byte[offset + data.length + 13];
        new SplittableRandom(offset).nextBytes(out);
        System.arraycopy(data, 0, out, offset, data.length);
        return out;
    }

}
