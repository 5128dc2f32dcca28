package io.hopper.internal.segment;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Recovery at open, on queue files built byte by byte: each kind of damage a crash or a disk can
 * leave, and exactly what the scan keeps, cuts, seals and sets aside.
 */
class SegmentRecoveryTest {

    @TempDir
    Path dir;

    /** Builds a queue file the way the writer lays it out. */
    private static final class FileBuilder {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        FileBuilder(long sequence) {
            byte[] h = new byte[SegmentFormat.FILE_HEADER_BYTES];
            SegmentFormat.writeFileHeader(h, sequence);
            out.writeBytes(h);
        }

        FileBuilder frame(long index, int payloadBytes) {
            byte[] payload = new byte[payloadBytes];
            for (int i = 0; i < payloadBytes; i++) {
                payload[i] = (byte) (index * 31 + i);
            }
            byte[] h = new byte[SegmentFormat.FRAME_HEADER_BYTES];
            SegmentFormat.writeFrameHeader(h, 0, payloadBytes, SegmentFormat.crc(payload, 0, payloadBytes), 0, 1,
                    index);
            out.writeBytes(h);
            out.writeBytes(payload);
            return this;
        }

        FileBuilder end(long endIndex) {
            byte[] h = new byte[SegmentFormat.END_FRAME_BYTES];
            SegmentFormat.writeFrameHeader(h, 0, 0, 0, SegmentFormat.FLAG_END, 0, endIndex);
            out.writeBytes(h);
            return this;
        }

        FileBuilder raw(byte[] bytes) {
            out.writeBytes(bytes);
            return this;
        }

        int size() {
            return out.size();
        }

        Path write(Path dir, long sequence) throws IOException {
            return Files.write(dir.resolve(SegmentFormat.fileName(sequence)), out.toByteArray());
        }
    }

    private static final int FRAME = SegmentFormat.FRAME_HEADER_BYTES + 40;
    private static final int HEADER = SegmentFormat.FILE_HEADER_BYTES;

    private SegmentLog log() {
        return new SegmentLog(dir, new FileChannelStorage(), 1 << 20, 16);
    }

    @Test
    void anEmptyDirectoryStartsAtZero() throws IOException {
        SegmentLog log = log();
        SegmentRecovery.Result r = SegmentRecovery.recover(log);
        assertEquals(0, r.files());
        assertEquals(0, r.nextIndex());
        assertEquals(0, r.firstIndex());
        assertEquals(0, r.nextSequence());
        assertEquals(0, log.files());
    }

    @Test
    void sealedFilesAreKeptAsTheyAre() throws IOException {
        Path a = new FileBuilder(3).frame(10, 40).frame(11, 40).end(12).write(dir, 3);
        Path b = new FileBuilder(4).frame(12, 40).end(13).write(dir, 4);
        Files.writeString(dir.resolve("cursor.hop"), "not a queue file");
        SegmentLog log = log();
        SegmentRecovery.Result r = SegmentRecovery.recover(log);
        assertEquals(2, r.files());
        assertEquals(10, r.firstIndex());
        assertEquals(13, r.nextIndex());
        assertEquals(5, r.nextSequence());
        assertEquals(0, r.filesRepaired());
        assertEquals(0, r.filesSetAside());
        assertEquals(HEADER + 2 * FRAME + SegmentFormat.END_FRAME_BYTES, Files.size(a));
        assertEquals(HEADER + FRAME + SegmentFormat.END_FRAME_BYTES, Files.size(b));
        assertEquals(2, log.files());
        assertEquals(Files.size(a) + Files.size(b), log.bytes(), "both files count against the budget");
    }

    /**
     * What a stopped process leaves in the file it was writing: its last whole frame, then nothing
     * (plain file I/O) or zeros up to the mapped size (Chronicle Bytes maps each file whole). The
     * file is sealed; that is no repair and no damage, and no byte of it counts as cut.
     */
    @Test
    void aFileAStoppedProcessWasWritingIsSealedWithoutCountingARepair() throws IOException {
        FileBuilder zeros = new FileBuilder(0).frame(0, 40).frame(1, 40);
        int good = zeros.size();
        zeros.raw(new byte[64 * 1024 + 5]); // the rest of a mapping, never written
        Path p = zeros.write(dir, 0);
        Path q = new FileBuilder(1).frame(2, 40).write(dir, 1); // ends at its last frame
        SegmentRecovery.Result r = SegmentRecovery.recover(log());
        assertEquals(2, r.files());
        assertEquals(3, r.nextIndex());
        assertEquals(0, r.filesRepaired(), "not damage");
        assertEquals(0, r.bytesTruncated());
        assertEquals(2, r.filesSealed());
        assertEquals(good + SegmentFormat.END_FRAME_BYTES, Files.size(p), "the zeros are cut all the same");
        assertEquals(HEADER + FRAME + SegmentFormat.END_FRAME_BYTES, Files.size(q));
    }

    /**
     * A file created just before the process stopped, its header not yet written: all zeros, at the
     * size of a mapping. It holds nothing, so it is removed, not set aside as unreadable.
     */
    @Test
    void aFileCreatedButNeverWrittenIsRemovedNotSetAside() throws IOException {
        new FileBuilder(0).frame(0, 40).end(1).write(dir, 0);
        Path empty = Files.write(dir.resolve(SegmentFormat.fileName(1)), new byte[256 * 1024]);
        SegmentRecovery.Result r = SegmentRecovery.recover(log());
        assertEquals(1, r.files());
        assertEquals(0, r.filesSetAside());
        assertEquals(0, r.filesRepaired());
        assertFalse(Files.exists(empty));
        assertFalse(Files.exists(dir.resolve(SegmentFormat.fileName(1) + ".corrupt")));
        assertEquals(2, r.nextSequence(), "its sequence number is not reused");
    }

    @Test
    void aTornTailIsCutAndTheFileSealed() throws IOException {
        FileBuilder f = new FileBuilder(0).frame(0, 40).frame(1, 40);
        int good = f.size();
        f.raw(new byte[] {1, 2, 3, 4, 5, 6, 7}); // half a frame header
        Path p = f.write(dir, 0);
        SegmentRecovery.Result r = SegmentRecovery.recover(log());
        assertEquals(1, r.files());
        assertEquals(2, r.nextIndex());
        assertEquals(1, r.filesRepaired());
        assertEquals(7, r.bytesTruncated());
        assertEquals(good + SegmentFormat.END_FRAME_BYTES, Files.size(p));
        byte[] bytes = Files.readAllBytes(p);
        assertTrue(SegmentFormat.frameHeaderValid(bytes, good));
        assertEquals(SegmentFormat.FLAG_END, SegmentFormat.frameFlags(bytes, good));
        assertEquals(2, SegmentFormat.frameRecordIndex(bytes, good));
        assertEquals(1, r.nextSequence());
    }

    @Test
    void aLastFrameWithATornPayloadIsPartOfTheTail() throws IOException {
        FileBuilder f = new FileBuilder(0).frame(0, 40).frame(1, 40);
        int good = f.size();
        f.frame(2, 40);
        byte[] bytes = f.out.toByteArray();
        bytes[bytes.length - 1] ^= 1; // the last payload did not fully land
        Path p = Files.write(dir.resolve(SegmentFormat.fileName(0)), bytes);
        SegmentRecovery.Result r = SegmentRecovery.recover(log());
        assertEquals(2, r.nextIndex(), "record 2's send never returned: not a lost record");
        assertEquals(FRAME, r.bytesTruncated());
        assertEquals(good + SegmentFormat.END_FRAME_BYTES, Files.size(p));
    }

    @Test
    void aFileWhoseOnlyFrameIsTornIsRemoved() throws IOException {
        byte[] bytes = new FileBuilder(0).frame(0, 40).out.toByteArray();
        bytes[bytes.length - 3] ^= 1;
        Path p = Files.write(dir.resolve(SegmentFormat.fileName(0)), bytes);
        SegmentRecovery.Result r = SegmentRecovery.recover(log());
        assertEquals(0, r.files());
        assertFalse(Files.exists(p));
        assertEquals(1, r.nextSequence(), "its sequence number is not reused");
    }

    @Test
    void aBadPayloadInsideASealedFileIsLeftForTheReader() throws IOException {
        byte[] bytes = new FileBuilder(0).frame(0, 40).frame(1, 40).frame(2, 40).end(3).out.toByteArray();
        bytes[HEADER + FRAME + SegmentFormat.FRAME_HEADER_BYTES + 5] ^= 1;
        Path p = Files.write(dir.resolve(SegmentFormat.fileName(0)), bytes);
        SegmentRecovery.Result r = SegmentRecovery.recover(log());
        assertEquals(3, r.nextIndex());
        assertEquals(0, r.filesRepaired());
        assertEquals(bytes.length, Files.size(p));
    }

    @Test
    void aSealedFileWithBytesAfterItsEndIsTrimmed() throws IOException {
        FileBuilder f = new FileBuilder(0).frame(0, 40).end(1);
        int sealed = f.size();
        Path p = f.raw(new byte[100]).write(dir, 0);
        SegmentRecovery.Result r = SegmentRecovery.recover(log());
        assertEquals(1, r.nextIndex());
        assertEquals(0, r.filesRepaired());
        assertEquals(sealed, Files.size(p));
    }

    @Test
    void aFrameWhoseIndexGoesBackIsSteppedOverAndTheFramesAfterItKept() throws IOException {
        FileBuilder f = new FileBuilder(0).frame(5, 40).frame(6, 40);
        f.frame(4, 40).frame(7, 40); // an index going back: not a frame this position can hold
        int size = f.size();
        Path p = f.write(dir, 0);
        SegmentRecovery.Result r = SegmentRecovery.recover(log());
        assertEquals(5, r.firstIndex());
        assertEquals(8, r.nextIndex());
        assertEquals(1, r.damagedRegions());
        assertEquals(0, r.bytesTruncated());
        assertEquals(size + SegmentFormat.END_FRAME_BYTES, Files.size(p));
    }

    @Test
    void aDamagedFrameHeaderInsideASealedFileKeepsTheIntactFramesAfterIt() throws IOException {
        byte[] b = new FileBuilder(0).frame(0, 40).frame(1, 40).frame(2, 40).frame(3, 40).end(4).out.toByteArray();
        b[HEADER + FRAME + 3] ^= 0x10; // record 1's payload length: its header checksum fails
        Path p = Files.write(dir.resolve(SegmentFormat.fileName(0)), b);
        SegmentRecovery.Result r = SegmentRecovery.recover(log());
        assertEquals(0, r.firstIndex());
        assertEquals(4, r.nextIndex());
        assertEquals(1, r.damagedRegions());
        assertEquals(0, r.filesRepaired());
        assertEquals(b.length, Files.size(p)); // nothing cut: the reader skips record 1 and counts it
    }

    @Test
    void damageFollowedOnlyByAFrameWithABadPayloadIsTheTornTail() throws IOException {
        FileBuilder f = new FileBuilder(0).frame(0, 40);
        int good = f.size();
        byte[] tail = new FileBuilder(0).frame(1, 40).frame(2, 40).out.toByteArray();
        byte[] frames = java.util.Arrays.copyOfRange(tail, HEADER, tail.length);
        frames[2] ^= 1; // record 1's header
        frames[FRAME + SegmentFormat.FRAME_HEADER_BYTES + 5] ^= 1; // record 2's payload: the last frame is torn
        Path p = f.raw(frames).raw(new byte[4096]).write(dir, 0);
        SegmentRecovery.Result r = SegmentRecovery.recover(log());
        assertEquals(1, r.nextIndex());
        assertEquals(0, r.damagedRegions()); // record 2's header is intact, but a frame is trusted whole or not at all
        assertEquals(1, r.filesRepaired());
        assertEquals(good + SegmentFormat.END_FRAME_BYTES, Files.size(p));
    }

    @Test
    void aFrameLongerThanTheFileEndsTheScan() throws IOException {
        FileBuilder f = new FileBuilder(0).frame(0, 40);
        int good = f.size();
        byte[] h = new byte[SegmentFormat.FRAME_HEADER_BYTES];
        SegmentFormat.writeFrameHeader(h, 0, 1000, 0, 0, 1, 1);
        Path p = f.raw(h).raw(new byte[10]).write(dir, 0);
        SegmentRecovery.Result r = SegmentRecovery.recover(log());
        assertEquals(1, r.nextIndex());
        assertEquals(SegmentFormat.FRAME_HEADER_BYTES + 10, r.bytesTruncated());
        assertEquals(good + SegmentFormat.END_FRAME_BYTES, Files.size(p));
    }

    @Test
    void aMultiRecordFrameIsNotTrusted() throws IOException {
        FileBuilder f = new FileBuilder(0).frame(0, 40);
        int good = f.size();
        byte[] h = new byte[SegmentFormat.FRAME_HEADER_BYTES];
        SegmentFormat.writeFrameHeader(h, 0, 0, SegmentFormat.crc(new byte[0], 0, 0), 0, 2, 1);
        Path p = f.raw(h).write(dir, 0);
        SegmentRecovery.Result r = SegmentRecovery.recover(log());
        assertEquals(1, r.nextIndex());
        assertEquals(good + SegmentFormat.END_FRAME_BYTES, Files.size(p));
    }

    @Test
    void aMalformedEndFrameIsTreatedAsATornTail() throws IOException {
        FileBuilder f = new FileBuilder(0).frame(0, 40);
        int good = f.size();
        byte[] h = new byte[SegmentFormat.END_FRAME_BYTES];
        SegmentFormat.writeFrameHeader(h, 0, 4, 0, SegmentFormat.FLAG_END, 0, 1);
        Path p = f.raw(h).write(dir, 0);
        SegmentRecovery.Result r = SegmentRecovery.recover(log());
        assertEquals(1, r.filesRepaired());
        assertEquals(good + SegmentFormat.END_FRAME_BYTES, Files.size(p));
    }

    @Test
    void anUnreadableHeaderSetsTheFileAsideAndAHeaderOnlyFileIsRemoved() throws IOException {
        byte[] bad = new FileBuilder(0).frame(0, 40).end(1).out.toByteArray();
        bad[3] ^= 1;
        Files.write(dir.resolve(SegmentFormat.fileName(0)), bad);
        byte[] wrongSeq = new FileBuilder(7).frame(1, 40).end(2).out.toByteArray(); // header says 7, name says 1
        Files.write(dir.resolve(SegmentFormat.fileName(1)), wrongSeq);
        byte[] bare = new byte[HEADER + SegmentFormat.FRAME_HEADER_BYTES]; // created, never written
        Files.write(dir.resolve(SegmentFormat.fileName(2)), bare);
        Path good = new FileBuilder(3).frame(2, 40).end(3).write(dir, 3);
        SegmentRecovery.Result r = SegmentRecovery.recover(log());
        assertEquals(1, r.files());
        assertEquals(2, r.firstIndex());
        assertEquals(3, r.nextIndex());
        assertEquals(2, r.filesSetAside());
        assertTrue(Files.exists(dir.resolve(SegmentFormat.fileName(0) + ".corrupt")));
        assertTrue(Files.exists(dir.resolve(SegmentFormat.fileName(1) + ".corrupt")));
        assertFalse(Files.exists(dir.resolve(SegmentFormat.fileName(2))));
        assertTrue(Files.exists(good));
        assertEquals(4, r.nextSequence());
    }

    @Test
    void aFileShorterThanItsHeaderIsRemoved() throws IOException {
        Files.write(dir.resolve(SegmentFormat.fileName(0)), new byte[5]);
        SegmentRecovery.Result r = SegmentRecovery.recover(log());
        assertEquals(0, r.files());
        assertEquals(0, r.filesSetAside());
        assertFalse(Files.exists(dir.resolve(SegmentFormat.fileName(0))));
    }
}
