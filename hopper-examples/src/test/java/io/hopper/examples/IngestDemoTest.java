package io.hopper.examples;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IngestDemoTest {

    @TempDir
    Path dir;

    @Test
    void aShortRunThroughStallsDeliversEveryEventInOrder() throws Exception {
        IngestDemo.Config c = new IngestDemo.Config(20_000, 3, 20_000, 64 * 1024, 64L << 20,
                100, 600, 300, dir.resolve("queue"), 100);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        IngestDemo.Result r = IngestDemo.run(c, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(r.ok(), out);
        assertEquals(20_000, r.delivered());
        assertTrue(r.spilled() > 0, "the stalls pushed events to disk:\n" + out);
        assertTrue(out.contains("all 20000 events delivered in order"), out);
        assertTrue(out.contains("t=") && out.contains("delivered"), "progress lines:\n" + out);
        assertTrue(Files.exists(dir.resolve("queue")), "a directory given by the user is kept");
    }

    @Test
    void flagsAreParsedAndBadOnesNamed() {
        IngestDemo.Config c = IngestDemo.parse(new String[] {"--events", "1000", "--memory", "1MiB", "--stall", "100",
            "--period", "400"});
        assertEquals(1000, c.events());
        assertEquals(1 << 20, c.memoryBytes());
        assertEquals(100, c.stallMillis());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> IngestDemo.parse(new String[] {"--stall", "500", "--period", "400"}));
        assertTrue(e.getMessage().contains("--stall"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> IngestDemo.parse(new String[] {"--events"}));
        assertThrows(IllegalArgumentException.class, () -> IngestDemo.parse(new String[] {"--bogus", "1"}));
        assertThrows(IllegalArgumentException.class, () -> IngestDemo.parse(new String[] {"--events", "0"}));
    }
}
