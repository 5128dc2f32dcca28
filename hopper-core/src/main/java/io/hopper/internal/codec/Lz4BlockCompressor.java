package io.hopper.internal.codec;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Writes one standard LZ4 block (the format lz4-java's decompressors read), reusing its hash table
 * from call to call.
 *
 * <p>Why not lz4-java's own compressor: its pure-Java compressor allocates and zeroes a fresh
 * 16 KiB hash table on every call, which for 1 KiB records is sixteen bytes of garbage per byte
 * compressed, and it reads the input one byte at a time. Its JNI compressor would avoid both but
 * unpacks a native library into the temporary directory, which this library must not write to.
 * This class keeps one table per instance and tells stale entries from fresh ones by an epoch
 * instead of clearing it, and reads four and eight bytes at a time through byte-array view
 * {@link VarHandle}s. Decompression stays with lz4-java's bounds-checked safe decompressor.
 *
 * <p>The algorithm is LZ4's greedy "fast" parse: hash the next four bytes, look the position up,
 * accept the candidate if it is in the 64 KiB window and its four bytes really match, extend the
 * match backwards over pending literals and forwards as far as it goes, and skip ahead faster the
 * longer no match turns up (the acceleration that keeps incompressible input cheap). The block
 * obeys the format's end rules: the last five bytes are literals and no match starts in the last
 * twelve.
 *
 * <p>Not thread-safe: each instance belongs to one thread (the encoding thread's
 * {@link EncodedRecord}).
 */
public final class Lz4BlockCompressor {
    private static final VarHandle INT_LE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    static final int MIN_MATCH = 4;
    /** The format requires the last five bytes of a block to be literals. */
    static final int LAST_LITERALS = 5;
    /** The format requires the last match to start at least twelve bytes before the end. */
    static final int MF_LIMIT = 12;
    static final int MAX_DISTANCE = 65_535;
    private static final int HASH_LOG = 12;
    private static final int SKIP_TRIGGER = 6;
    /** A length nibble of 15 means more length bytes follow. */
    private static final int RUN_MASK = 15;

    /**
     * Hash slot to {@code epoch + position} of the last input position with that hash. An entry
     * below the current epoch was written by an earlier call and is ignored, so the table never
     * needs clearing until the epoch counter nears overflow. Read and written only by the thread
     * that owns this instance (plain accesses; the instance is never shared).
     */
    private final int[] table = new int[1 << HASH_LOG];
    /** Base of the next call's epoch range; owned like {@link #table}. */
    private int epoch = 1;

    /** The largest block {@code compress} can write for {@code length} input bytes. */
    public static int maxCompressedLength(int length) {
        if (length < 0) {
            throw new IllegalArgumentException("negative length " + length);
        }
        return length + length / 255 + 16;
    }

    /**
     * Compresses {@code src[srcOff, srcOff + srcLen)} into {@code dst} at {@code dstOff} as one
     * LZ4 block and returns the block's length.
     *
     * @throws IllegalArgumentException when {@code dst} has fewer than
     *     {@link #maxCompressedLength(int)} bytes after {@code dstOff}, or a range is out of bounds
     */
    public int compress(byte[] src, int srcOff, int srcLen, byte[] dst, int dstOff) {
        if (srcOff < 0 || srcLen < 0 || srcOff > src.length - srcLen) {
            throw new IllegalArgumentException("source range " + srcOff + "+" + srcLen + " outside " + src.length);
        }
        if (dstOff < 0 || dst.length - dstOff < maxCompressedLength(srcLen)) {
            throw new IllegalArgumentException("destination has " + (dst.length - dstOff)
                    + " bytes, a block of " + srcLen + " may need " + maxCompressedLength(srcLen));
        }
        int base = startEpoch(srcLen);
        int srcEnd = srcOff + srcLen;
        int op = dstOff;
        int anchor = srcOff;
        if (srcLen >= MF_LIMIT + 1) {
            int mfLimit = srcEnd - MF_LIMIT;
            int matchLimit = srcEnd - LAST_LITERALS;
            // Entries are stored as base + (position - srcOff); a candidate is live when >= base.
            int shift = base - srcOff;
            int[] t = table;
            t[hash(readInt(src, srcOff))] = srcOff + shift;
            int ip = srcOff + 1;
            search:
            while (true) {
                // Find a match, skipping faster the longer the search has gone without one.
                int ref;
                int forward = ip;
                int attempts = 1 << SKIP_TRIGGER;
                while (true) {
                    ip = forward;
                    int step = attempts++ >>> SKIP_TRIGGER;
                    forward = ip + step;
                    if (forward > mfLimit) {
                        break search;
                    }
                    ref = lookUpAndRecord(t, src, ip, shift, base);
                    if (ref >= 0) {
                        break;
                    }
                }
                // Take pending literals back into the match where they also match.
                while (ip > anchor && ref > srcOff && src[ip - 1] == src[ref - 1]) {
                    ip--;
                    ref--;
                }
                int tokenAt = op++;
                dst[tokenAt] = 0;
                int literals = ip - anchor;
                op = writeLength(dst, tokenAt, op, literals, 4);
                System.arraycopy(src, anchor, dst, op, literals);
                op += literals;
                // Emit the match, and chain straight into another when the next position matches.
                while (true) {
                    int distance = ip - ref;
                    dst[op++] = (byte) distance;
                    dst[op++] = (byte) (distance >>> 8);
                    int matchLen = commonLength(src, ip + MIN_MATCH, ref + MIN_MATCH, matchLimit);
                    ip += MIN_MATCH + matchLen;
                    op = writeLength(dst, tokenAt, op, matchLen, 0);
                    anchor = ip;
                    if (ip > mfLimit) {
                        break search;
                    }
                    t[hash(readInt(src, ip - 2))] = ip - 2 + shift;
                    ref = lookUpAndRecord(t, src, ip, shift, base);
                    if (ref >= 0) {
                        tokenAt = op++;
                        dst[tokenAt] = 0;
                        continue;
                    }
                    ip++;
                    continue search;
                }
            }
        }
        int literals = srcEnd - anchor;
        int tokenAt = op++;
        dst[tokenAt] = 0;
        op = writeLength(dst, tokenAt, op, literals, 4);
        System.arraycopy(src, anchor, dst, op, literals);
        return op + literals - dstOff;
    }

    /**
     * Claims the epoch range {@code [epoch, epoch + srcLen]} for this call, clearing the table
     * first when the counter would overflow; returns the call's base.
     */
    private int startEpoch(int srcLen) {
        if (epoch > Integer.MAX_VALUE - srcLen - 1) {
            Arrays.fill(table, 0);
            epoch = 1;
        }
        int base = epoch;
        epoch = base + srcLen + 1;
        return base;
    }

    /** Moves the epoch counter so that a test can reach the wrap without compressing 2 GiB. */
    void epochForTest(int value) {
        epoch = value;
    }

    private static int hash(int sequence) {
        return (sequence * -1640531535) >>> (32 - HASH_LOG);
    }

    private static int readInt(byte[] b, int at) {
        return (int) INT_LE.get(b, at);
    }

    /** How many bytes match from {@code a} and {@code b}, stopping at {@code limit} for {@code a}. */
    private static int commonLength(byte[] src, int a, int b, int limit) {
        int start = a;
        while (a <= limit - 8) {
            long diff = (long) LONG_LE.get(src, a) ^ (long) LONG_LE.get(src, b);
            if (diff != 0) {
                return a - start + (Long.numberOfTrailingZeros(diff) >>> 3);
            }
            a += 8;
            b += 8;
        }
        while (a < limit && src[a] == src[b]) {
            a++;
            b++;
        }
        return a - start;
    }

    /**
     * Records {@code ip} in the table and returns the earlier position its four bytes match,
     * within the window and written by this call, or -1 when there is none.
     */
    private static int lookUpAndRecord(int[] table, byte[] src, int ip, int shift, int base) {
        int seq = readInt(src, ip);
        int h = hash(seq);
        int stored = table[h];
        table[h] = ip + shift;
        if (stored >= base) {
            int ref = stored - shift;
            if (ip - ref <= MAX_DISTANCE && readInt(src, ref) == seq) {
                return ref;
            }
        }
        return -1;
    }

    /**
     * Adds {@code length} to the token's nibble at {@code shift} (4: literals, 0: match length
     * beyond the minimum), with the format's 255-runs after {@code op} when it does not fit;
     * returns the new {@code op}. The caller zeroed the token when it claimed it.
     */
    private static int writeLength(byte[] dst, int tokenAt, int op, int length, int shift) {
        if (length < RUN_MASK) {
            dst[tokenAt] |= (byte) (length << shift);
            return op;
        }
        dst[tokenAt] |= (byte) (RUN_MASK << shift);
        int rest = length - RUN_MASK;
        while (rest >= 255) {
            dst[op++] = (byte) 255;
            rest -= 255;
        }
        dst[op++] = (byte) rest;
        return op;
    }
}
