package io.hopper.kafka;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.stream.Stream;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The test broker itself: it works, and it stays inside its directory and on loopback. */
class LocalKafkaBrokerTest {
    @TempDir
    Path dir;

    @Test
    void aRecordWrittenIsReadBack() throws Exception {
        try (LocalKafkaBroker broker = LocalKafkaBroker.start(dir)) {
            broker.createTopic("t", 1);
            try (KafkaProducer<String, String> p = new KafkaProducer<>(Map.of("bootstrap.servers", broker.bootstrapServers()),
                    new StringSerializer(), new StringSerializer())) {
                p.send(new ProducerRecord<>("t", "k", "v")).get();
            }
            List<ConsumerRecord<byte[], byte[]>> got = TopicContents.readAll(broker, "t");
            assertEquals(1, got.size());
        }
    }

    /**
     * The broker keeps its files under its directory and listens on loopback only: every file it
     * holds open is in the broker's directory, the JDK or a class-path jar, and every socket it
     * listens on is bound to 127.0.0.1.
     */
    @Test
    void theBrokerWritesOnlyInItsDirectoryAndListensOnLoopbackOnly() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")), "needs Linux /proc");
        try (LocalKafkaBroker broker = LocalKafkaBroker.start(dir.resolve("broker"))) {
            broker.createTopic("t", 2);
            long pid = broker.pid();
            Path java = Path.of(System.getProperty("java.home")).toRealPath();
            List<String> outside = new ArrayList<>();
            try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
                for (Path fd : fds.toList()) {
                    Path target;
                    try {
                        target = Files.readSymbolicLink(fd);
                    } catch (IOException e) {
                        continue; // closed meanwhile
                    }
                    String t = target.toString();
                    if (!t.startsWith("/") || t.startsWith("/dev/") || t.startsWith("/proc/")) {
                        continue; // sockets, pipes, anonymous inodes, /dev/null, /dev/urandom
                    }
                    if (!target.startsWith(broker.directory().toRealPath()) && !target.startsWith(java)
                            && !t.endsWith(".jar")) {
                        outside.add(t);
                    }
                }
            }
            assertEquals(List.of(), outside, "files the broker holds open outside its directory");
            // Listening sockets (state 0A) of this network namespace: the broker's two ports on 127.0.0.1.
            for (String line : Files.readAllLines(Path.of("/proc/net/tcp"))) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 3 && f[3].equals("0A")) {
                    int port = Integer.parseInt(f[1].substring(f[1].indexOf(':') + 1), 16);
                    if (broker.ports().contains(port)) {
                        assertEquals("0100007F", f[1].substring(0, f[1].indexOf(':')), "port " + port + " on loopback");
                    }
                }
            }
            for (String line : Files.readAllLines(Path.of("/proc/net/tcp6"))) {
                for (int port : broker.ports()) {
                    assertTrue(!(line.contains(String.format(":%04X ", port)) && line.contains(" 0A ")),
                            "an IPv6 listener on the broker's port " + port + ": " + line);
                }
            }
            int listening = 0;
            for (String line : Files.readAllLines(Path.of("/proc/net/tcp"))) {
                for (int port : broker.ports()) {
                    if (line.contains(String.format("0100007F:%04X 00000000:0000 0A", port))) {
                        listening++;
                    }
                }
            }
            assertEquals(2, listening, "both ports listen on 127.0.0.1");
        }
    }
}
