package io.hopper.examples;

import io.hopper.examples.kafka.KafkaOutageDemo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

class KafkaOutageDemoTest {

    @TempDir
    Path dir;

    @Test
    void aShortOutageIsRiddenOutThroughTheDiskTierAndEveryEventArrivesInOrder() throws Exception {
        KafkaOutageDemo.Config c = new KafkaOutageDemo.Config(10_000, 2, 1, 4, 1, 256 * 1024, dir, 250);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        KafkaOutageDemo.Result r = KafkaOutageDemo.run(c, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(r.ok(), out);
        assertTrue(r.peakOnDisk() > 0, "the outage pushed events to disk:\n" + out);
        assertTrue(out.contains("broker DOWN") && out.contains("--- broker back"), out);
        assertTrue(out.contains("all " + r.sent() + " events in the topic, in order per key"), out);
    }
}
