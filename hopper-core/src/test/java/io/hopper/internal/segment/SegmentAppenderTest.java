package io.hopper.internal.segment;

import io.hopper.Compression;
import io.hopper.internal.codec.EncodedRecord;
import io.hopper.internal.codec.RecordCodec;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The writer side of the queue files: layout, rotation at the exact edge, sealing, budgets and failures. */
class SegmentAppenderTest {

    @TempDir
    Path dir;

    private final RecordCodec<byte[]> codec = new RecordCodec<>(new io.hopper.internal.codec.RawBytes(), Compression.NONE,
            SegmentFormat.FRAME_HEADER_BYTES);

    private static final int FH = SegmentFormat.FRAME_HEADER_BYTES;
    private static final int HEADER = SegmentFormat.FILE_HEADER_BYTES;

    private EncodedRecord payload(int n) {
        return codec.encode(new byte[n]);
    }

    private static SegmentStorage storage(String name) {
        return name.equals("file") ? new FileChannelStorage() : StorageBackendsTest.chronicle();
    }

    @ParameterizedTest
    @ValueSource(strings = {"file", "chronicle"})
    void filesFillToTheExactEdgeThenRotateSealed(String kind) throws IOException {
        // One file: header 32 + frames; room for the END frame must remain.
        long segment = 8192;
        SegmentLog log = new SegmentLog(dir, storage(kind), segment * 4, 4);
        assertEquals(segment, log.segmentBytes());
        SegmentAppender a = new SegmentAppender(log, 5, 100, true);
        int frames = 10;
        int exact = (int) ((segment - HEADER - SegmentFormat.END_FRAME_BYTES) / frames) - FH;
        int last = (int) (segment - HEADER - SegmentFormat.END_FRAME_BYTES) - (frames - 1) * (FH + exact) - FH;
        for (int i = 0; i < frames - 1; i++) {
            assertTrue(a.tryAppend(payload(exact)));
        }
        assertTrue(a.tryAppend(payload(last)), "a frame that leaves exactly the END frame's room fits");
        assertEquals(1, log.files());
        assertEquals(6, a.nextSequence());
        assertEquals(110, a.nextIndex());
        assertEquals(segment - SegmentFormat.END_FRAME_BYTES, log.bytes());
        long forcesBefore = log.forces();
        assertTrue(a.tryAppend(payload(1)), "the next one rotates");
        assertEquals(forcesBefore + 1, log.forces(), "sealing forces the file when asked to");
        assertEquals(2, log.files());
        assertEquals(7, a.nextSequence());
        assertEquals(segment + HEADER + FH + 1, log.bytes());
        assertEquals(log.bytes(), log.bytesWritten());

        byte[] first = Files.readAllBytes(dir.resolve(SegmentFormat.fileName(5)));
        assertEquals(segment, first.length, "the sealed file is trimmed to its END frame");
        assertEquals(null, SegmentFormat.checkFileHeader(first, 0, 5));
        int end = (int) segment - SegmentFormat.END_FRAME_BYTES;
        assertTrue(SegmentFormat.frameHeaderValid(first, end));
        assertEquals(SegmentFormat.FLAG_END, SegmentFormat.frameFlags(first, end));
        assertEquals(110, SegmentFormat.frameRecordIndex(first, end));
        assertEquals(100, SegmentFormat.frameRecordIndex(first, HEADER));
        assertEquals(exact, SegmentFormat.framePayloadLength(first, HEADER));

        a.close();
        byte[] second = Files.readAllBytes(dir.resolve(SegmentFormat.fileName(6)));
        assertEquals(HEADER + FH + 1 + SegmentFormat.END_FRAME_BYTES, second.length, "close seals the last file");
        assertEquals(110, SegmentFormat.frameRecordIndex(second, HEADER));
        assertEquals(111, SegmentFormat.frameRecordIndex(second, HEADER + FH + 1));
        assertThrows(IOException.class, () -> a.tryAppend(payload(1)), "closed");
        a.close(); // idempotent
    }

    @Test
    void aFrameLargerThanAFileOrABudgetWithNoFileLeftIsRefused() throws IOException {
        SegmentLog log = new SegmentLog(dir, new FileChannelStorage(), 2 * 1024, 2);
        SegmentAppender a = new SegmentAppender(log, 0, 0, false);
        int max = (int) log.maxFrameBytes() - FH;
        assertFalse(a.tryAppend(payload(max + 1)));
        assertEquals(0, log.files(), "nothing was created for it");
        assertTrue(a.tryAppend(payload(max)), "the largest frame fills a file");
        assertTrue(a.tryAppend(payload(max)));
        assertEquals(2, log.files());
        assertFalse(a.tryAppend(payload(1)), "both files are in use");
        assertEquals(2, a.nextIndex());
        assertEquals(0, log.forces(), "not asked to force on seal");
        a.close();
    }

    @Test
    void aFileThatCannotBeCreatedGivesItsBudgetBack() throws IOException {
        SegmentStorage failing = new SegmentStorage() {
            @Override
            public String name() {
                return "failing";
            }

            @Override
            public SegmentWriter create(Path path, long capacity) throws IOException {
                SegmentWriter real = new FileChannelStorage().create(path, capacity);
                return new ForwardingSegmentWriter(real) {
                    @Override
                    public void write(long position, byte[] src, int off, int len) throws IOException {
                        throw new IOException("No space left on device");
                    }
                };
            }

            @Override
            public SegmentReader openForRead(Path path) throws IOException {
                return new FileChannelStorage().openForRead(path);
            }
        };
        SegmentLog log = new SegmentLog(dir, failing, 2 * 4096, 2);
        SegmentAppender a = new SegmentAppender(log, 3, 0, false);
        IOException e = assertThrows(IOException.class, () -> a.tryAppend(payload(10)));
        assertTrue(e.getMessage().contains(SegmentFormat.fileName(3)), e.getMessage());
        assertEquals(0, log.files(), "the reserved file is released");
        assertEquals(0, log.bytes());
        assertFalse(Files.exists(dir.resolve(SegmentFormat.fileName(3))), "the half-made file is removed");
        assertEquals(3, a.nextSequence(), "the sequence number is not used up");
        assertEquals(0, a.nextIndex());
    }

    @Test
    void anAbandonedFileIsSealedAtTheNextAppend() throws IOException {
        SegmentLog log = new SegmentLog(dir, new FileChannelStorage(), 4 * 4096, 4);
        SegmentAppender a = new SegmentAppender(log, 0, 0, false);
        assertTrue(a.tryAppend(payload(10)));
        SegmentMeta first = log.live.peekFirst();
        first.abandoned = true;
        assertTrue(a.tryAppend(payload(10)));
        assertTrue(first.sealed);
        assertEquals(2, log.files());
        assertEquals(1, log.live.peekLast().firstIndex);
        a.close();
    }
}
