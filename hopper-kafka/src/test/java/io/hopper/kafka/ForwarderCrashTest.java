package io.hopper.kafka;

import io.hopper.Durability;
import io.hopper.StorageBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
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
 * The forwarding process itself stopped at random moments, cycle after cycle, while its producers
 * send and its forwarder drains into a real broker ({@link ForwardingProcess}, {@code MANUAL}). A
 * last process drains what is left; every record whose send returned must be in the topic.
 * <ul>
 *   <li>{@code SIGKILL} ({@code WRITE_THROUGH}): duplicates are counted and bounded by twice the
 *   in-flight window per kill, the records in flight plus at most as many acknowledged since the
 *   last commit (the forwarder commits at least every window's worth).</li>
 *   <li>{@code SIGKILL} while catching up a backlog, with the default commit interval: the same
 *   bound (before the forwarder also committed every window's worth, a kill in a catch-up sent a
 *   commit interval's worth again: tens of thousands).</li>
 *   <li>{@code SIGTERM} (each durability on each back end): the channel's shutdown hook closes the forwarder first,
 *   which finishes its records in flight and commits, then the channel: with the broker up, nothing
 *   comes twice and nothing is lost, the memory tier included.</li>
 * </ul>
 * Cycles: {@code -Dhopper.kafka.crash.cycles} (default 5; the {@code stress} profile runs 40); the
 * seed of the kill moments is printed ({@code -Dhopper.kafka.crash.seed} replays them).
 */
@Timeout(value = 1, unit = TimeUnit.HOURS)
class ForwarderCrashTest {
    private static final int CYCLES = Integer.getInteger("hopper.kafka.crash.cycles", 5);
    private static final int WINDOW = 500;
    /** The in-flight window of the catch-up: far smaller than the backlog. */
    private static final int CATCH_UP_WINDOW = 200;

    @TempDir
    static Path shared;

    /** One broker for both tests: each uses topics and channel directories of its own. */
    static LocalKafkaBroker broker;

    @TempDir
    Path dir;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = LocalKafkaBroker.start(shared.resolve("broker"));
    }

    @AfterAll
    static void stopBroker() throws Exception {
        if (broker != null) {
            broker.close();
        }
    }

    private static Random random(String test) {
        long seed = Long.getLong("hopper.kafka.crash.seed", System.nanoTime());
        System.out.println("ForwarderCrashTest." + test + " seed: " + seed + " (replay: -Dhopper.kafka.crash.seed="
                + seed + ")");
        return new Random(seed);
    }

    @Test
    void everyRecordWhoseSendReturnedIsInTheTopicAfterKills() throws Exception {
        Random rnd = random("everyRecordWhoseSendReturnedIsInTheTopicAfterKills");
        String topic = "crash";
        Path reports = Files.createDirectories(dir.resolve("reports"));
        Path channel = dir.resolve("channel");
        broker.createTopic(topic, 4);
        for (int cycle = 0; cycle < CYCLES; cycle++) {
            Process p = child("produce", channel, broker, topic, reports, cycle, Durability.WRITE_THROUGH, 0);
            try {
                awaitLine(p, cycle, "producing");
                Thread.sleep(200 + rnd.nextInt(1500));
            } finally {
                p.destroyForcibly(); // SIGKILL (and no child outlives a failed wait)
            }
            p.waitFor();
        }
        Delivery d = drainAndCheck(channel, broker, topic, reports, CYCLES);
        System.out.printf("forwarding process killed %d times: %s%n", CYCLES, d.summary());
        assertTrue(d.duplicates() <= (long) CYCLES * 2 * WINDOW,
                "duplicates within twice the in-flight window per kill: " + d.summary());

        // A backlog caught up at full speed, in a channel and a topic of its own, with a commit
        // interval longer than the whole catch-up, stopped dead three quarters through: what
        // comes again is bounded by the window whatever the interval.
        String catchUp = "catch-up";
        broker.createTopic(catchUp, 4);
        Path backlogChannel = dir.resolve("backlog-channel");
        Path backlogReports = Files.createDirectories(dir.resolve("backlog-reports"));
        int cycle = CYCLES + 1;
        Process p = child("backlog", backlogChannel, broker, catchUp, backlogReports, cycle,
                Durability.WRITE_THROUGH, 60_000, CATCH_UP_WINDOW, StorageBackend.AUTO);
        try {
            assertTrue(p.waitFor(5, TimeUnit.MINUTES), "the catching-up process halted");
        } finally {
            p.destroyForcibly();
        }
        assertEquals(137, p.exitValue(), output(cycle));
        Delivery b = drainAndCheck(backlogChannel, broker, catchUp, backlogReports, cycle + 1);
        System.out.printf("a forwarder catching up %d records, stopped dead: %s (%s)%n", ForwardingProcess.BACKLOG,
                b.summary(), output(cycle).lines().filter(l -> l.startsWith("halting")).findFirst().orElse("?"));
        assertTrue(b.duplicates() <= 2 * CATCH_UP_WINDOW, "a kill while catching up sends at most twice the"
                + " window again: " + b.summary());
    }

    @Test
    void aSigtermLetsTheForwarderFinishAndCommitSoNothingComesTwice() throws Exception {
        Random rnd = random("aSigtermLetsTheForwarderFinishAndCommitSoNothingComesTwice");
        String topic = "sigterm";
        Path reports = Files.createDirectories(dir.resolve("reports"));
        Path channel = dir.resolve("channel");
        int cycles = 4;
        broker.createTopic(topic, 4);
        for (int cycle = 0; cycle < cycles; cycle++) {
            // Each durability on each back end (the channel's files are the same format on both).
            Durability durability = cycle % 2 == 0 ? Durability.MEMORY_FIRST : Durability.WRITE_THROUGH;
            StorageBackend storage = cycle < 2 ? StorageBackend.CHRONICLE_BYTES : StorageBackend.FILE_CHANNEL;
            Process p = child("produce", channel, broker, topic, reports, cycle, durability, 100, WINDOW, storage);
            try {
                awaitLine(p, cycle, "producing");
                Thread.sleep(300 + rnd.nextInt(1200));
                p.destroy(); // SIGTERM
                assertTrue(p.waitFor(2, TimeUnit.MINUTES), "the child stopped");
            } finally {
                p.destroyForcibly(); // no child outlives a failed wait
            }
            String out = output(cycle);
            assertEquals(128 + 15, p.exitValue(), out);
            assertTrue(out.contains("stopped: channel closed=true, forwarder running=false"),
                    "the hook closed the forwarder, then the channel: " + out);
        }
        Delivery d = drainAndCheck(channel, broker, topic, reports, cycles);
        System.out.printf("forwarding process stopped with SIGTERM %d times: %s%n", cycles, d.summary());
        assertEquals(0, d.duplicates(), "a graceful stop sends nothing twice: " + d.summary());
    }

    /** Runs the draining process, then checks the topic against every acknowledged send. */
    private Delivery drainAndCheck(Path channel, LocalKafkaBroker broker, String topic, Path reports, int cycle)
            throws Exception {
        Process drain = child("drain", channel, broker, topic, reports, cycle, Durability.WRITE_THROUGH, 0);
        try {
            assertTrue(drain.waitFor(5, TimeUnit.MINUTES), "the draining process finished");
        } finally {
            drain.destroyForcibly();
        }
        assertEquals(0, drain.exitValue(), "the draining process: " + output(cycle));
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
        assertTrue(acked.size() > cycle, "the producers got going: " + acked.size());
        assertEquals(List.of(), List.copyOf(d.missing()), d.summary());
        return d;
    }

    private Process child(String mode, Path channel, LocalKafkaBroker broker, String topic, Path reports, int cycle,
                          Durability durability, long commitIntervalMillis) throws IOException {
        return child(mode, channel, broker, topic, reports, cycle, durability, commitIntervalMillis, WINDOW,
                StorageBackend.AUTO);
    }

    private Process child(String mode, Path channel, LocalKafkaBroker broker, String topic, Path reports, int cycle,
                          Durability durability, long commitIntervalMillis, int window, StorageBackend storage)
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
                String.valueOf(cycle), String.valueOf(window), durability.name(), String.valueOf(commitIntervalMillis),
                storage.name()));
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
