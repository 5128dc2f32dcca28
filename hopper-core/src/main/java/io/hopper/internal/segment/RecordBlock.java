package io.hopper.internal.segment;

import io.hopper.internal.codec.Lz4BlockCompressor;
import io.hopper.internal.codec.Lz4BlockDecompressor;

import java.util.Arrays;

/**
 * Several records in one LZ4 block: the payload of a {@link SegmentFormat#FLAG_BLOCK} frame. Small
 * records barely compress one by one (a 150-byte log line has too little repetition inside
 * itself); side by side they share their field names, timestamps and hosts.
 *
 * <pre>
 * payload = u32 raw length (little-endian) | LZ4 block
 * raw     = record, record, ...   (exactly the frame's record count)
 * record  = length (unsigned LEB128, 1..5 bytes) | the serializer's bytes
 * </pre>
 *
 * One instance is either built ({@link #add}, {@link #writePayload}) or read ({@link #read}); it
 * belongs to one thread and reuses its buffers from block to block.
 */
public final class RecordBlock {
    /** Raw bytes a block aims for: LZ4 looks back at most 64 KiB, so a larger block gains little. */
    public static final int TARGET_RAW_BYTES = 64 * 1024;

    private byte[] raw = new byte[TARGET_RAW_BYTES + 1024];
    private int rawLength;
    private int count;
    private int[] offsets = new int[64];
    private int[] lengths = new int[64];

    /** Thrown by {@link #read} for a payload that passed its checksum and still is not a block. */
    public static final class MalformedBlockException extends Exception {
        private static final long serialVersionUID = 1L;

        MalformedBlockException(String message) {
            super(message, null, false, false);
        }
    }

    /** Records in the block (built or read). */
    public int count() {
        return count;
    }

    /** Raw bytes so far: lengths and records, before compression. */
    public int rawLength() {
        return rawLength;
    }

    /** Empties the block for building. */
    public void clear() {
        rawLength = 0;
        count = 0;
    }

    /** Appends one record's serialized bytes. */
    public void add(byte[] src, int off, int len) {
        int need = rawLength + 5 + len;
        if (need > raw.length) {
            raw = Arrays.copyOf(raw, Math.max(need, raw.length * 2));
        }
        int p = rawLength;
        int v = len;
        while ((v & ~0x7f) != 0) {
            raw[p++] = (byte) (v & 0x7f | 0x80);
            v >>>= 7;
        }
        raw[p++] = (byte) v;
        System.arraycopy(src, off, raw, p, len);
        rawLength = p + len;
        count++;
    }

    /** The largest payload {@link #writePayload} can write for the block as it is. */
    public int maxPayloadLength() {
        return 4 + Lz4BlockCompressor.maxCompressedLength(rawLength);
    }

    /**
     * Writes the block's payload (raw length and LZ4 block) into {@code dst} at {@code off}, which
     * has at least {@link #maxPayloadLength()} bytes.
     *
     * @return the payload's length
     */
    public int writePayload(Lz4BlockCompressor compressor, byte[] dst, int off) {
        SegmentFormat.putInt(dst, off, rawLength);
        return 4 + compressor.compress(raw, 0, rawLength, dst, off + 4);
    }

    /**
     * Decompresses a block payload holding {@code expected} records and indexes them: afterwards
     * {@link #array()}, {@link #offset(int)} and {@link #length(int)} give each record's bytes.
     *
     * @throws MalformedBlockException if the payload does not decompress, or does not hold
     *                                 exactly {@code expected} whole records
     */
    public void read(byte[] payload, int off, int len, int expected) throws MalformedBlockException {
        count = 0;
        rawLength = 0;
        if (len < 5) {
            throw new MalformedBlockException("block payload of " + len + " bytes");
        }
        int claimed = SegmentFormat.getInt(payload, off);
        // LZ4 expands at most 255:1; the bound also keeps a damaged length from allocating gigabytes.
        if (claimed < expected || (long) claimed > (long) (len - 4) * 255 + 16) {
            throw new MalformedBlockException("block claims " + Integer.toUnsignedString(claimed) + " raw bytes from "
                    + (len - 4) + " compressed bytes");
        }
        if (raw.length < claimed || raw.length > 16 * TARGET_RAW_BYTES && claimed <= TARGET_RAW_BYTES) {
            raw = new byte[Math.max(claimed, TARGET_RAW_BYTES)];
        }
        int n;
        try {
            n = Lz4BlockDecompressor.decompress(payload, off + 4, len - 4, raw, 0, claimed);
        } catch (RuntimeException e) {
            throw new MalformedBlockException("LZ4 block does not decompress: " + e.getMessage());
        }
        if (n != claimed) {
            throw new MalformedBlockException("LZ4 block decompressed to " + n + " bytes, its header says " + claimed);
        }
        if (offsets.length < expected) {
            offsets = new int[expected];
            lengths = new int[expected];
        }
        int p = 0;
        for (int i = 0; i < expected; i++) {
            int v = 0;
            int shift = 0;
            int b;
            do {
                if (p == n || shift > 28) {
                    throw new MalformedBlockException("record " + i + " of " + expected + " has no whole length");
                }
                b = raw[p++] & 0xff;
                v |= (b & 0x7f) << shift;
                shift += 7;
            } while ((b & 0x80) != 0);
            if (v < 0 || v > n - p) {
                throw new MalformedBlockException("record " + i + " of " + expected + " runs past the block");
            }
            offsets[i] = p;
            lengths[i] = v;
            p += v;
        }
        if (p != n) {
            throw new MalformedBlockException((n - p) + " bytes after the block's " + expected + " records");
        }
        rawLength = n;
        count = expected;
    }

    /** The raw bytes of the block read last. */
    public byte[] array() {
        return raw;
    }

    /** Where record {@code i} of the block read last starts in {@link #array()}. */
    public int offset(int i) {
        return offsets[i];
    }

    /** The length of record {@code i} of the block read last. */
    public int length(int i) {
        return lengths[i];
    }
}
