package io.hopper.inspect;

import io.hopper.Channel;
import io.hopper.Hopper;
import io.hopper.Serializer;
import io.hopper.StorageBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The exported, read-only view of a channel directory, on directories a real channel left. */
class ChannelDirectoryTest {
    @TempDir
    Path dir;

    /** 300 records through a small memory tier: most go to queue files, the rest to the snapshot at close. */
    private void writeChannel() throws Exception {
        try (Channel<String> ch = Hopper.builder(String.class, dir).storage(StorageBackend.FILE_CHANNEL)
                .inMemoryBytes(40 * 80).weigher(s -> 80).diskBytes(64 * 1024).maxDiskFiles(8)
                .shutdownHook(false).open()) {
            for (int i = 0; i < 300; i++) {
                ch.sender().send("record " + i + " " + "x".repeat(i % 50));
            }
            for (int i = 0; i < 10; i++) {
                assertNotNull(ch.receiver().receive());
            }
            ch.receiver().commit();
        }
    }

    private Map<String, FileTime> listing() throws Exception {
        Map<String, FileTime> m = new TreeMap<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                m.put(p.getFileName() + ":" + Files.size(p), Files.getLastModifiedTime(p));
            }
        }
        return m;
    }

    @Test
    void aScanSeesEveryTierAndAWalkGivesBackEveryRecordNotYetReceivedWithoutWritingAnything() throws Exception {
        writeChannel();
        Map<String, FileTime> before = listing();
        ChannelDirectory.checkUsable(dir);
        ChannelDirectory.Scan scan = ChannelDirectory.scan(dir);
        assertFalse(scan.damaged(), scan.toString());
        assertFalse(scan.locked());
        assertTrue(scan.cursor().present());
        assertNotNull(scan.cursor().committed(), "the commit and the close stored the position");
        assertEquals(0, scan.cursor().committed().readIndex(), "the ten received came from memory: no disk record read");
        assertNotNull(scan.snapshot(), "the close saved the memory tier");
        assertTrue(scan.snapshot().intact());
        long onDisk = scan.records() - scan.cursor().committed().readIndex();
        assertEquals(290, onDisk + scan.snapshot().records(), "every record not received is on disk or in the snapshot");

        Serializer<String> ser = ChannelDirectory.serializer(String.class, dir);
        List<String> seen = new ArrayList<>();
        for (ChannelDirectory.Segment seg : ChannelDirectory.segments(dir)) {
            ChannelDirectory.walk(seg.path(), seg.sequence(), r -> {
                seen.add((String) r.value(ser)); // plain String records: their UTF-8
                return true;
            });
        }
        ChannelDirectory.walkSnapshot(dir, scan.snapshot(), r -> {
            seen.add((String) r.value(ser));
            return true;
        });
        assertEquals(290, seen.size());
        for (int i = 10; i < 300; i++) { // the first ten were received
            assertTrue(seen.contains("record " + i + " " + "x".repeat(i % 50)), "record " + i);
        }
        assertEquals(before, listing(), "reading a directory writes nothing in it");
    }

    /** An Object channel's records are the serializer's bytes; a String channel's beside them are plain. */
    @Test
    void eachRecordSaysItsFormAndValueDecodesBoth() throws Exception {
        try (Channel<Object> ch = Hopper.builder(Object.class, dir).inMemoryBytes(0).shutdownHook(false).open()) {
            ch.sender().send(java.util.List.of(1L, "two"));
        }
        try (Channel<String> ch = Hopper.builder(String.class, dir).inMemoryBytes(0).shutdownHook(false).open()) {
            ch.sender().send("plain");
        }
        Serializer<Object> ser = ChannelDirectory.serializer(Object.class, dir);
        List<ChannelDirectory.RecordForm> forms = new ArrayList<>();
        List<Object> values = new ArrayList<>();
        for (ChannelDirectory.Segment seg : ChannelDirectory.segments(dir)) {
            ChannelDirectory.walk(seg.path(), seg.sequence(), r -> {
                forms.add(r.form());
                values.add(r.value(ser));
                return true;
            });
        }
        assertEquals(List.of(ChannelDirectory.RecordForm.SERIALIZED, ChannelDirectory.RecordForm.UTF8), forms);
        assertEquals(List.of(List.of(1L, "two"), "plain"), values);
    }

    @Test
    void damageIsCountedExactlyWhereItIs() throws Exception {
        writeChannel();
        ChannelDirectory.Segment first = ChannelDirectory.segments(dir).get(0);
        ChannelDirectory.FileScan clean = ChannelDirectory.walk(first.path(), first.sequence(), null);
        assertTrue(clean.sealed());
        try (RandomAccessFile raf = new RandomAccessFile(first.path().toFile(), "rw")) {
            long at = 32 + 24 + 2; // inside the first frame's payload
            raf.seek(at);
            int b = raf.read();
            raf.seek(at);
            raf.write(b ^ 0x5a);
        }
        ChannelDirectory.FileScan damaged = ChannelDirectory.walk(first.path(), first.sequence(), null);
        assertTrue(damaged.damaged());
        assertEquals(1, damaged.damagedFrames());
        assertEquals(1, damaged.recordsLost());
        assertEquals(clean.records() - 1, damaged.records());
        assertTrue(ChannelDirectory.scan(dir).damaged());
    }

    @Test
    void aDirectoryAChannelHoldsOrThatIsNoDirectoryIsRefused() throws Exception {
        assertThrows(ChannelDirectory.Refused.class, () -> ChannelDirectory.checkUsable(dir.resolve("missing")));
        try (Channel<String> ch = Hopper.builder(String.class, dir).shutdownHook(false).open()) {
            ChannelDirectory.Refused e = assertThrows(ChannelDirectory.Refused.class,
                    () -> ChannelDirectory.checkUsable(dir));
            assertTrue(e.getMessage().contains(ChannelDirectory.LOCK_FILE), e.getMessage());
            assertTrue(ChannelDirectory.scan(dir).locked());
        }
    }
}
