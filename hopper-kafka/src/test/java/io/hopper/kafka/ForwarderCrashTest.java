package io.hopper.kafka;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The forwarding process itself killed with {@code SIGKILL} at random moments, cycle after cycle,
 * while its producers send and its forwarder drains into a real broker ({@link ForwardingProcess}:
 * {@code WRITE_THROUGH}, {@code MANUAL}). A last process drains what is left. Every record whose
 * send returned must be in the topic; duplicates are counted and bounded by the in-flight window:
 * at a kill, what can come again is the window plus what was acknowledged since the last commit,
 * which the process commits whenever the acknowledged prefix moves (at most the window again).
 * Cycles: {@code -Dhopper.kafka.crash.cycles} (default 5; the {@code stress} profile runs 40).
 */
@Timeout(value = 1, unit = TimeUnit.HOURS)
class ForwarderCrashTest {
    private static final int CYCLES = Integer.getInteger("hopper.kafka.crash.cycles", 5);
    private static final int WINDOW = 500;

    @TempDir
    Path dir;

    @Test
    void everyRecordWhoseSendReturnedIsInTheTopicAfterKills() throws Exception {
        Random rnd = new Random(Long.getLong("hopper.kafka.crash.seed", System.nanoTime()));
        String topic = "crash";
        Path reports = Files.createDirectories(dir.resolve("reports"));
        Path channel = dir.resolve("channel");
        try (LocalKafkaBroker broker = LocalKafkaBroker.start(dir.resolve("broker"))) {
            broker.createTopic(topic, 4);
            for (int cycle = 0; cycle < CYCLES; cycle++) {
                Process p = child("produce", channel, broker, topic, reports, cycle);
                awaitLine(p, cycle, "producing");
                Thread.sleep(200 + rnd.nextInt(1500));
                p.destroyForcibly(); // SIGKILL
                p.waitFor();
            }
            Process drain = child("drain", channel, broker, topic, reports, CYCLES);
            assertTrue(drain.waitFor(5, TimeUnit.MINUTES), "the draining process finished");
            assertEquals(0, drain.exitValue(), "the draining process: " + output(CYCLES));
            List<String> acked = new ArrayList<>();
            try (Stream<Path> files = Files.list(reports)) {
                for (Path f : files.toList()) {
                    for (String line : Files.readAllLines(f, StandardCharsets.US_ASCII)) {
                        if (!line.isEmpty()) {
                            acked.add(line);
                        }
                    }
                }
            }
            Delivery d = Delivery.check(TopicContents.readAll(broker, topic), acked);
            System.out.printf("forwarding process killed %d times: %d acknowledged sends; %s%n", CYCLES,
                    acked.size(), d.summary());
            assertTrue(acked.size() > CYCLES, "the producers got going: " + acked.size());
            assertEquals(List.of(), List.copyOf(d.missing()), d.summary());
            assertTrue(d.duplicates() <= (long) CYCLES * 2 * WINDOW,
                    "duplicates within the in-flight window per kill: " + d.summary());
        }
    }

    private Process child(String mode, Path channel, LocalKafkaBroker broker, String topic, Path reports, int cycle)
            throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-opens") || a.startsWith("--add-exports") || a.startsWith("-Dchronicle")) {
                cmd.add(a); // what Chronicle Bytes needs, as this JVM has it
            }
        }
        cmd.add("-Xmx256m");
        cmd.add("-XX:-UsePerfData");
        cmd.add("-Djava.io.tmpdir=" + dir);
        cmd.add("-cp");
        String cp = System.getProperty("surefire.test.class.path");
        cmd.add(cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path"));
        cmd.add(ForwardingProcess.class.getName());
        cmd.addAll(List.of(mode, channel.toString(), broker.bootstrapServers(), topic, reports.toString(),
                String.valueOf(cycle), String.valueOf(WINDOW)));
        return new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve("child-" + cycle + ".log").toFile()).start();
    }

    private void awaitLine(Process p, int cycle, String line) throws Exception {
        while (!output(cycle).contains(line)) {
            if (!p.isAlive()) {
                throw new AssertionError("the child exited: " + output(cycle));
            }
            Thread.sleep(20);
        }
    }

    private String output(int cycle) throws IOException {
        Path f = dir.resolve("child-" + cycle + ".log");
        return Files.exists(f) ? Files.readString(f) : "";
    }
}
