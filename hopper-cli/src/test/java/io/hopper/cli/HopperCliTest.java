package io.hopper.cli;

import io.hopper.Channel;
import io.hopper.Durability;
import io.hopper.Hopper;
import io.hopper.StorageBackend;
import io.hopper.inspect.ChannelDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every command on healthy, damaged, truncated and locked directories, and on the checked-in golden one. */
class HopperCliTest {

    @TempDir
    Path tmp;

    record Run(int status, String out, String err) {
    }

    static Run cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = HopperCli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /**
     * A closed channel directory: 3,000 log lines written through to 8 KiB queue files (most are
     * full and sealed), the first 1,000 received and committed.
     */
    static Path healthy(Path dir) throws Exception {
        try (Channel<String> ch = Hopper.builder(String.class, dir).storage(StorageBackend.FILE_CHANNEL)
                .durability(Durability.WRITE_THROUGH).diskBytes(64 * 8192).maxDiskFiles(64).open()) {
            for (int i = 0; i < 3000; i++) {
                ch.sender().send("{\"level\":\"info\",\"line\":" + i + ",\"msg\":\"request served in " + (i % 97)
                        + " ms\"}");
            }
            for (int i = 0; i < 1000; i++) {
                ch.receiver().receive();
            }
            ch.receiver().commit();
        }
        return dir;
    }

    static List<Path> segments(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("segment-")).sorted().toList();
        }
    }

    @Test
    void aHealthyDirectoryIsDescribedVerifiedAndDumped() throws Exception {
        Path dir = healthy(tmp.resolve("q"));
        Run inspect = cli("inspect", dir.toString());
        assertEquals(0, inspect.status(), inspect.err());
        assertTrue(inspect.out().contains("committed read index 1000"), inspect.out());
        assertTrue(inspect.out().contains("free (no channel has it open)"), inspect.out());
        assertTrue(inspect.out().contains("damage      none"), inspect.out());
        // Plain String records: 96 to a file of 8 KiB.
        assertTrue(inspect.out().contains("queue files 22, ") && inspect.out().contains("2,019 intact records"),
                "files are deleted whole once read, so the first holds 19 read records: " + inspect.out());
        assertTrue(inspect.out().contains(" 981..1077 ") && inspect.out().contains(" 2998..2999 "), inspect.out());

        Run json = cli("inspect", dir.toString(), "--json");
        assertEquals(0, json.status());
        assertTrue(json.out().startsWith("{\"directory\":") && json.out().contains("\"damaged\":false")
                && json.out().contains("\"readIndex\":1000") && json.out().contains("\"records\":2019"), json.out());

        Run verify = cli("verify", dir.toString());
        assertEquals(0, verify.status(), verify.out());
        assertTrue(verify.out().startsWith("ok: "), verify.out());

        Run dump = cli("dump", dir.toString(), "--from", "1000", "--limit", "3", "--type", "java.lang.String");
        assertEquals(0, dump.status(), dump.err());
        List<String> lines = dump.out().lines().toList();
        assertEquals(4, lines.size(), dump.out());
        assertTrue(lines.get(0).startsWith("index 1000 ") && lines.get(0).contains("\"line\":1000,"), lines.get(0));
        assertTrue(lines.get(2).startsWith("index 1002 ") && lines.get(2).contains("\"line\":1002,"), lines.get(2));
        assertEquals("3 records shown (--limit reached)", lines.get(3));

        Run jsonDump = cli("dump", dir.toString(), "--from", "2999", "--format", "json", "--type", "java.lang.String");
        assertEquals(1, jsonDump.out().lines().count(), jsonDump.out());
        assertTrue(jsonDump.out().contains("\"index\":2999") && jsonDump.out().contains("\\\"line\\\":2999,"),
                jsonDump.out());

        // A String channel's records are plain UTF-8: they print as text without --type.
        Run untyped = cli("dump", dir.toString(), "--from", "1000", "--limit", "1", "--format", "json");
        assertTrue(untyped.out().contains("\"form\":\"UTF8\"") && untyped.out().contains("\\\"line\\\":1000,"),
                untyped.out());

        Run hex = cli("dump", dir.toString(), "--limit", "1", "--format", "hex");
        assertTrue(hex.out().lines().count() >= 2 && hex.out().lines().skip(1).allMatch(l -> l.startsWith("  0000")),
                hex.out());

        assertEquals(0, cli("repair", dir.toString()).status());
        assertEquals(0, cli("verify", dir.toString()).status(), "a repair of a healthy directory changes nothing");
    }

    @Test
    void aFlippedByteIsFoundByVerifyAndShownByInspect() throws Exception {
        Path dir = healthy(tmp.resolve("q"));
        Path victim = segments(dir).get(1);
        flipByte(victim, 32 + 24 + 5); // inside the first frame's payload
        verifyFindsOneBadFrame(dir, victim);
        Run inspect = cli("inspect", dir.toString());
        assertEquals(0, inspect.status());
        assertTrue(inspect.out().contains("damage      FOUND"), inspect.out());
        assertTrue(cli("inspect", dir.toString(), "--json").out().contains("\"damagedFrames\":1"));
    }

    @Test
    void aTornTailIsReportedAndRepairCutsItOff() throws Exception {
        Path dir = tmp.resolve("q");
        try (Channel<String> ch = Hopper.builder(String.class, dir).storage(StorageBackend.FILE_CHANNEL)
                .durability(Durability.WRITE_THROUGH).diskBytes(64 * 4096).maxDiskFiles(64).open()) {
            for (int i = 0; i < 10; i++) {
                ch.sender().send("record " + i);
            }
            // No close: the process "dies" with the file still being written (no END frame).
            Path last = segments(dir).get(segments(dir).size() - 1);
            copyTree(dir, tmp.resolve("crashed"));
            Path copy = tmp.resolve("crashed").resolve(last.getFileName());
            long end = ChannelDirectory.walk(copy, 0, null).writtenBytes();
            try (RandomAccessFile f = new RandomAccessFile(copy.toFile(), "rw")) {
                f.setLength(end - 7); // the last frame half written
            }
        }
        Path crashed = tmp.resolve("crashed");
        Files.deleteIfExists(crashed.resolve("hopper.lock"));
        Run verify = cli("verify", crashed.toString());
        assertEquals(1, verify.status(), verify.out());
        assertTrue(verify.out().contains("torn tail of "), verify.out());
        Run repair = cli("repair", crashed.toString());
        assertEquals(0, repair.status(), repair.err());
        assertTrue(repair.out().contains("cut a torn tail of "), repair.out());
        Run after = cli("verify", crashed.toString());
        assertEquals(0, after.status(), after.out());
        assertTrue(after.out().contains("9 records"), "the nine whole records stay: " + after.out());
    }

    @Test
    void unreadableFilesAreFoundAndRepairRemovesOrSetsThemAside() throws Exception {
        Path dir = healthy(tmp.resolve("q"));
        Path victim = segments(dir).get(2);
        try (RandomAccessFile f = new RandomAccessFile(victim.toFile(), "rw")) {
            f.setLength(30); // the header cut short; the frames after it gone
        }
        Run verify = cli("verify", dir.toString());
        assertEquals(1, verify.status());
        assertTrue(verify.out().contains("shorter than a file header"), verify.out());
        Path victim2 = segments(dir).get(3);
        try (RandomAccessFile f = new RandomAccessFile(victim2.toFile(), "rw")) {
            f.seek(0);
            f.write('X'); // a header that fails its magic
        }
        assertTrue(cli("verify", dir.toString()).out().contains(victim2.getFileName() + ": UNREADABLE: bad magic"));
        Run repair = cli("repair", dir.toString());
        assertEquals(0, repair.status(), repair.err());
        assertTrue(repair.out().contains("removed " + victim.getFileName()), repair.out());
        assertTrue(repair.out().contains("set aside " + victim2.getFileName() + ".corrupt"), repair.out());
        Run again = cli("verify", dir.toString());
        assertEquals(1, again.status(), "a set-aside file stays a finding until someone looks: " + again.out());
        assertTrue(again.out().contains("set aside by an earlier recovery"), again.out());
    }

    @Test
    void aDirectoryOpenInThisJvmIsRefused() throws Exception {
        Path dir = healthy(tmp.resolve("q"));
        try (Channel<String> ch = Hopper.builder(String.class, dir).storage(StorageBackend.FILE_CHANNEL).open()) {
            for (String command : List.of("inspect", "verify", "dump", "repair")) {
                Run r = cli(command, dir.toString());
                assertEquals(3, r.status(), command);
                assertTrue(r.err().contains("a running process has the channel in"), r.err());
            }
            assertFalse(ch.isClosed());
        }
    }

    @Test
    void aDirectoryOpenInAnotherProcessIsRefusedAndNothingIsWritten() throws Exception {
        Path dir = healthy(tmp.resolve("q"));
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", classPath(), HoldChannel.class.getName(), dir.toString()));
        Process p = new ProcessBuilder(cmd).redirectError(tmp.resolve("child.err").toFile()).start();
        try {
            byte[] ready = p.getInputStream().readNBytes(5);
            assertEquals("ready", new String(ready, StandardCharsets.US_ASCII));
            long before = lastModified(dir);
            for (String command : List.of("inspect", "verify", "dump", "repair")) {
                Run r = cli(command, dir.toString());
                assertEquals(3, r.status(), command + ": " + r.err());
                assertTrue(r.err().contains("a running process has the channel in"), r.err());
            }
            assertEquals(before, lastModified(dir), "nothing in the directory changed");
        } finally {
            p.destroy();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        assertEquals(0, cli("verify", dir.toString()).status(), "once the process is gone");
    }

    @Test
    void theGoldenDirectoryOfTheCurrentFormatReadsAsWritten() throws Exception {
        Path golden = Path.of("src/test/resources/golden/format-1");
        Path dir = tmp.resolve("golden");
        copyTree(golden, dir); // the tool writes nothing, but repair below does
        Run inspect = cli("inspect", dir.toString(), "--json");
        assertEquals(0, inspect.status(), inspect.err());
        assertTrue(inspect.out().contains("\"damaged\":false") && inspect.out().contains("\"readIndex\":40")
                && inspect.out().contains("\"records\":80"), inspect.out());
        assertTrue(inspect.out().contains("\"snapshot\":{\"intact\":true,\"version\":2,\"records\":5"), inspect.out());
        assertEquals(0, cli("verify", dir.toString()).status());
        Run dump = cli("dump", dir.toString(), "--from", "40", "--limit", "1000", "--type", "java.lang.String");
        List<String> lines = dump.out().lines().toList();
        assertEquals(40 + 5 + 1, lines.size(), dump.out()); // 40 disk records after the commit, 5 in the snapshot
        assertTrue(lines.get(0).endsWith("golden record 40"), lines.get(0));
        assertTrue(lines.get(39).endsWith("golden record 79"), lines.get(39));
        assertTrue(lines.get(40).startsWith("snapshot# 0") && lines.get(40).endsWith("golden memory record 0"),
                lines.get(40));
        assertTrue(cli("dump", dir.toString(), "--limit", "1", "--format", "json").out().contains("\"form\":\"SERIALIZED\""),
                "written before plain records: Kryo's bytes");
        // And the library itself still opens it and delivers the rest in order.
        try (Channel<String> ch = Hopper.builder(String.class, dir).storage(StorageBackend.FILE_CHANNEL).open()) {
            for (int i = 40; i < 80; i++) {
                assertEquals("golden record " + i, ch.receiver().poll());
            }
            for (int i = 0; i < 5; i++) {
                assertEquals("golden memory record " + i, ch.receiver().poll());
            }
        }
    }

    /** Version 2: sealed files rewritten in shared blocks ({@code Compression.LZ4_BLOCKS}). */
    @Test
    void theGoldenDirectoryWithFilesInBlocksReadsAsWritten() throws Exception {
        Path dir = tmp.resolve("golden-2");
        copyTree(Path.of("src/test/resources/golden/format-2"), dir);
        Run inspect = cli("inspect", dir.toString(), "--json");
        assertEquals(0, inspect.status(), inspect.err());
        assertTrue(inspect.out().contains("\"damaged\":false") && inspect.out().contains("\"readIndex\":40")
                && inspect.out().contains("\"records\":600"), inspect.out());
        Run verify = cli("verify", dir.toString());
        assertEquals(0, verify.status(), verify.out());
        Run dump = cli("dump", dir.toString(), "--from", "40", "--limit", "1000", "--type", "java.lang.String");
        List<String> lines = dump.out().lines().toList();
        assertEquals(560 + 1, lines.size(), dump.out());
        for (int i = 40; i < 600; i++) {
            assertTrue(lines.get(i - 40).startsWith("index " + i + " ") && lines.get(i - 40).endsWith("golden record " + i),
                    lines.get(i - 40));
        }
        // A flipped byte inside a block costs the block's records, and verify says so.
        Path victim = segments(dir).get(2);
        flipByte(victim, 32 + 24 + 40); // inside the first block's payload
        verifyFindsOneBadFrame(dir, victim);
        copyTree(Path.of("src/test/resources/golden/format-2"), tmp.resolve("golden-2b"));
        // The library opens it with either compression setting and delivers the rest in order.
        try (Channel<String> ch = Hopper.builder(String.class, tmp.resolve("golden-2b"))
                .storage(StorageBackend.FILE_CHANNEL).open()) {
            for (int i = 40; i < 600; i++) {
                assertEquals("golden record " + i, ch.receiver().poll());
            }
            assertEquals(null, ch.receiver().poll());
            assertEquals(0, ch.stats().recordsLost());
        }
    }

    /** {@code verify} exits 1 and names {@code victim} as the file with one frame failing its checksum. */
    private static void verifyFindsOneBadFrame(Path dir, Path victim) {
        Run verify = cli("verify", dir.toString());
        assertEquals(1, verify.status(), verify.out());
        assertTrue(verify.out().contains("DAMAGE " + victim.getFileName() + ": 1 frames fail their checksum"),
                verify.out());
    }

    @Test
    void badUsageIsNamed() {
        Run r = cli("inspect");
        assertEquals(2, r.status());
        assertTrue(r.err().contains("usage:"), r.err());
        assertEquals(3, cli("inspect", tmp.resolve("missing").toString()).status());
        assertEquals(2, cli("frobnicate", tmp.toString()).status());
        assertEquals(2, cli("dump", tmp.toString(), "--format", "xml").status());
        assertEquals(0, cli("--help").status());
    }

    private static long lastModified(Path dir) throws IOException {
        long max = Files.getLastModifiedTime(dir).toMillis();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                max = Math.max(max, Files.getLastModifiedTime(p).toMillis());
            }
        }
        return max;
    }

    static void flipByte(Path file, long at) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(at);
            int b = f.read();
            f.seek(at);
            f.write(b ^ 0x40);
        }
    }

    static void copyTree(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> s = Files.list(from)) {
            for (Path p : s.toList()) {
                Files.copy(p, to.resolve(p.getFileName().toString()));
            }
        }
    }

    private static String classPath() {
        String cp = System.getProperty("surefire.test.class.path");
        return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
    }
}
