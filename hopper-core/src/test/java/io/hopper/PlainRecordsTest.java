package io.hopper;

import io.hopper.inspect.ChannelDirectory;
import io.hopper.inspect.ChannelDirectory.RecordForm;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code byte[]} and {@code String} channels with the default serializer store records as their own
 * bytes, say so in every frame, and share a directory with frames the serializer wrote (a channel
 * from before this form, or one given an explicit serializer), in both directions.
 */
class PlainRecordsTest {

    @TempDir
    Path dir;

    private static byte[] bytes(int i) {
        return ("record " + i + " " + "payload ".repeat(i % 7)).getBytes(StandardCharsets.UTF_8);
    }

    private static String text(int i) {
        return "línea " + i + " 世界 \uD83D\uDE00 " + "x".repeat(i % 11);
    }

    /** Every stored record's form, queue files then snapshot, with the payloads of the stored ones. */
    private static List<ChannelDirectory.StoredRecord> stored(Path ch) throws IOException {
        List<ChannelDirectory.StoredRecord> out = new ArrayList<>();
        for (ChannelDirectory.Segment s : ChannelDirectory.segments(ch)) {
            ChannelDirectory.walk(s.path(), s.sequence(), r -> out.add(r));
        }
        ChannelDirectory.SnapshotHeader h = ChannelDirectory.snapshotHeader(ch);
        if (h != null) {
            ChannelDirectory.walkSnapshot(ch, h, r -> out.add(r));
        }
        return out;
    }

    @Test
    void aByteArrayChannelStoresEachRecordAsItsBytesInTheQueueFileAndTheSnapshot() throws Exception {
        Path ch = dir.resolve("ch");
        try (Channel<byte[]> c = Hopper.builder(byte[].class, ch).inMemoryBytes(2048).compression(Compression.NONE)
                .open()) {
            for (int i = 0; i < 200; i++) {
                c.sender().send(bytes(i));
            }
            assertTrue(c.stats().recordsSpilled() > 0);
        }
        List<ChannelDirectory.StoredRecord> all = stored(ch);
        assertEquals(200, all.size());
        List<byte[]> payloads = new ArrayList<>();
        for (ChannelDirectory.StoredRecord r : all) {
            assertEquals(RecordForm.BYTES, r.form());
            payloads.add(r.raw());
        }
        // The disk stream first, then the snapshot: each payload is one record's bytes exactly.
        java.util.Set<String> expected = new java.util.HashSet<>();
        for (int i = 0; i < 200; i++) {
            expected.add(new String(bytes(i), StandardCharsets.UTF_8));
        }
        for (byte[] p : payloads) {
            assertTrue(expected.remove(new String(p, StandardCharsets.UTF_8)), "a stored payload is a record's bytes");
        }
        try (Channel<byte[]> c = Hopper.builder(byte[].class, ch).open()) {
            for (int i = 0; i < 200; i++) {
                assertArrayEquals(bytes(i), c.receiver().poll(), "record " + i);
            }
            assertNull(c.receiver().poll());
        }
    }

    @Test
    void plainRecordsTakeFewerDiskBytesThanTheSerializersForm() throws Exception {
        long[] written = new long[2];
        for (int k = 0; k < 2; k++) {
            Hopper.Builder<String> b = Hopper.builder(String.class, dir.resolve("ch" + k)).inMemoryBytes(0)
                    .compression(Compression.NONE);
            if (k == 1) {
                b.serializer(Serializer.kryo(String.class));
            }
            try (Channel<String> c = b.open()) {
                for (int i = 0; i < 500; i++) {
                    c.sender().send(text(i));
                }
                written[k] = c.stats().bytesWrittenToDisk();
                for (int i = 0; i < 500; i++) {
                    assertEquals(text(i), c.receiver().poll());
                }
            }
        }
        assertTrue(written[0] < written[1], "plain " + written[0] + " B vs Kryo " + written[1] + " B");
    }

    /** How the directory was written first, and how it is reopened. */
    enum Switch {
        SERIALIZER_THEN_PLAIN(true, false),
        PLAIN_THEN_SERIALIZER(false, true);

        final boolean firstExplicit;
        final boolean thenExplicit;

        Switch(boolean firstExplicit, boolean thenExplicit) {
            this.firstExplicit = firstExplicit;
            this.thenExplicit = thenExplicit;
        }
    }

    private static Channel<String> open(Path ch, boolean explicitSerializer, Compression compression) throws IOException {
        Hopper.Builder<String> b = Hopper.builder(String.class, ch).inMemoryBytes(4096).diskBytes(1 << 20)
                .maxDiskFiles(16).compression(compression);
        if (explicitSerializer) {
            b.serializer(Serializer.kryo(String.class));
        }
        return b.open();
    }

    @ParameterizedTest
    @EnumSource(Switch.class)
    void oneDirectoryHoldsBothFormsAndReadsThemInOrder(Switch sw) throws Exception {
        Path ch = dir.resolve("ch");
        int n = 0;
        try (Channel<String> c = open(ch, sw.firstExplicit, Compression.LZ4)) {
            for (; n < 300; n++) {
                c.sender().send(text(n));
            }
        }
        try (Channel<String> c = open(ch, sw.thenExplicit, Compression.LZ4_BLOCKS)) {
            for (; n < 600; n++) {
                c.sender().send(text(n));
            }
        }
        java.util.Set<RecordForm> forms = java.util.EnumSet.noneOf(RecordForm.class);
        stored(ch).forEach(r -> forms.add(r.form()));
        assertEquals(java.util.EnumSet.of(RecordForm.SERIALIZED, RecordForm.UTF8), forms, "both forms on disk");
        try (Channel<String> c = open(ch, sw.thenExplicit, Compression.LZ4)) {
            for (int i = 0; i < 600; i++) {
                assertEquals(text(i), c.receiver().poll(), "record " + i);
            }
            assertNull(c.receiver().poll());
            assertEquals(0, c.stats().recordsLost());
        }
    }

    @Test
    void anObjectChannelReadsPlainRecordsAStringChannelWrote() throws Exception {
        Path ch = dir.resolve("ch");
        try (Channel<String> c = Hopper.builder(String.class, ch).inMemoryBytes(0).open()) {
            c.sender().send("written by a String channel");
        }
        try (Channel<Object> c = Hopper.builder(Object.class, ch).open()) {
            assertEquals("written by a String channel", c.receiver().poll());
        }
    }
}
