package io.hopper;

import io.hopper.testkit.ChildJvm;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The library writes nothing outside its channel directory (Chronicle's analytics excluded), and
 * without Chronicle's JVM flags it falls back to plain FileChannel storage with one log line.
 */
class DependencyHygieneTest {

    @TempDir
    Path tmp;

    @Test
    void nothingIsWrittenIntoTheUserHome() throws Exception {
        Path home = Files.createDirectory(tmp.resolve("home"));
        List<String> jvm = new ArrayList<>(ChildJvm.chronicleFlags());
        jvm.add("-Duser.home=" + home);
        ChildJvm.Result r = ChildJvm.run(Main.class, jvm, tmp.resolve("ch").toString(), "CHRONICLE_BYTES");
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("storage=chronicle-bytes"), r.output());
        try (Stream<Path> s = Files.list(home)) {
            assertEquals(List.of(), s.toList(), "files appeared in user.home");
        }
    }

    @Test
    void withoutJvmFlagsAutoFallsBackToFileChannelAndSaysWhy() throws Exception {
        ChildJvm.Result r = ChildJvm.run(Main.class, List.of(), tmp.resolve("ch").toString(), "AUTO");
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("storage=file-channel"), r.output());
        assertTrue(r.output().contains("Chronicle Bytes unavailable") && r.output().contains("--add-opens=java.base/java.nio=ALL-UNNAMED"),
                r.output());
    }

    @Test
    void withoutJvmFlagsForcingChronicleFailsNamingTheFlags() throws Exception {
        ChildJvm.Result r = ChildJvm.run(Main.class, List.of(), tmp.resolve("ch").toString(), "CHRONICLE_BYTES");
        assertTrue(r.exitCode() != 0, r.output());
        assertTrue(r.output().contains("IllegalStateException") && r.output().contains("--add-opens"), r.output());
    }

    /** The child: spills and reads back a few records, prints the storage used. */
    public static final class Main {
        public static void main(String[] args) throws Exception {
            try (Channel<String> ch = Hopper.builder(String.class, Path.of(args[0]))
                    .storage(StorageBackend.valueOf(args[1])).inMemoryBytes(0).open()) {
                for (int i = 0; i < 100; i++) {
                    ch.sender().send("event " + i);
                }
                for (int i = 0; i < 100; i++) {
                    if (!ch.receiver().receive().equals("event " + i)) {
                        throw new AssertionError("order");
                    }
                }
                System.out.println("storage=" + ch.stats().storage());
            }
        }
    }
}
