package io.hopper.internal.codec;

/**
 * Decodes one standard LZ4 block (the format {@link Lz4BlockCompressor} and lz4-java write) in
 * pure Java, checking every length and offset against both buffers before it copies anything.
 *
 * <p>Why not lz4-java's decompressor: without its JNI library (which unpacks a native library
 * into the temporary directory, outside the channel's directory) its fastest instance is the
 * "safe" Java one, which copies matches byte by byte; the drain spent most of its time there. Here
 * literals and non-overlapping matches are one {@link System#arraycopy} each, and an overlapping
 * match (offset shorter than its length, a repeated pattern) is copied in chunks that double:
 * each chunk reads only bytes already written, and every chunk but the last is a whole number of
 * periods, so the pattern continues exactly.
 *
 * <p>Malformed input (a length running past either buffer, an offset of 0 or before the start of
 * the output, a block that ends inside a sequence) throws {@link Lz4FormatException}; nothing is
 * ever read or written outside {@code src[srcOff, srcOff + srcLen)} and {@code dst[dstOff, dstOff + dstLen)}.
 * Stateless and thread-safe.
 */
public final class Lz4BlockDecompressor {
    private static final int MIN_MATCH = 4;

    private Lz4BlockDecompressor() {
    }

    /** The block is not a well-formed LZ4 block, or does not fit the output. */
    public static final class Lz4FormatException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Lz4FormatException(String message) {
            super(message, null, false, false); // thrown for damaged input: no stack trace to fill
        }
    }

    /**
     * Decompresses the block {@code src[srcOff, srcOff + srcLen)} into {@code dst} from
     * {@code dstOff}, writing at most {@code dstLen} bytes.
     *
     * @return the number of bytes written
     * @throws Lz4FormatException if the block is malformed or needs more than {@code dstLen} bytes
     */
    public static int decompress(byte[] src, int srcOff, int srcLen, byte[] dst, int dstOff, int dstLen) {
        if (srcOff < 0 || srcLen < 0 || srcLen > src.length - srcOff || dstOff < 0 || dstLen < 0
                || dstLen > dst.length - dstOff) {
            throw new IndexOutOfBoundsException("ranges outside the arrays");
        }
        if (srcLen == 0) {
            throw new Lz4FormatException("empty block");
        }
        int ip = srcOff;
        final int srcEnd = srcOff + srcLen;
        int op = dstOff;
        final int dstEnd = dstOff + dstLen;
        for (;;) {
            int token = src[ip++] & 0xFF;
            // Literals.
            int literals = token >>> 4;
            if (literals == 15) {
                int b;
                do {
                    if (ip == srcEnd) {
                        throw new Lz4FormatException("block ends inside a literal length");
                    }
                    b = src[ip++] & 0xFF;
                    literals += b;
                } while (b == 255 && literals < Integer.MAX_VALUE - 255);
                if (b == 255) {
                    throw new Lz4FormatException("literal length overflows");
                }
            }
            if (literals > srcEnd - ip) {
                throw new Lz4FormatException("literals run past the end of the block");
            }
            if (literals > dstEnd - op) {
                throw new Lz4FormatException("literals run past the end of the output");
            }
            System.arraycopy(src, ip, dst, op, literals);
            ip += literals;
            op += literals;
            if (ip == srcEnd) {
                return op - dstOff; // the last sequence has literals only
            }
            // Match.
            if (srcEnd - ip < 2) {
                throw new Lz4FormatException("block ends inside a match offset");
            }
            int offset = (src[ip] & 0xFF) | (src[ip + 1] & 0xFF) << 8;
            ip += 2;
            if (offset == 0 || offset > op - dstOff) {
                throw new Lz4FormatException("match offset " + offset + " points outside the output");
            }
            int length = token & 15;
            if (length == 15) {
                int b;
                do {
                    if (ip == srcEnd) {
                        throw new Lz4FormatException("block ends inside a match length");
                    }
                    b = src[ip++] & 0xFF;
                    length += b;
                } while (b == 255 && length < Integer.MAX_VALUE - 255);
                if (b == 255) {
                    throw new Lz4FormatException("match length overflows");
                }
            }
            length += MIN_MATCH;
            if (length > dstEnd - op) {
                throw new Lz4FormatException("match runs past the end of the output");
            }
            int from = op - offset;
            if (offset >= length) {
                System.arraycopy(dst, from, dst, op, length);
            } else {
                // A repeated pattern of period 'offset': copy chunks from 'from', each no longer
                // than what is already written after it (offset + copied), so chunks double.
                int copied = 0;
                while (copied < length) {
                    int n = Math.min(offset + copied, length - copied);
                    System.arraycopy(dst, from, dst, op + copied, n);
                    copied += n;
                }
            }
            op += length;
            if (ip == srcEnd) {
                throw new Lz4FormatException("block ends with a match (the last sequence must be literals)");
            }
        }
    }
}
