package io.hopper.micrometer;

import io.hopper.Channel;
import io.hopper.CommitMode;
import io.hopper.Hopper;
import io.hopper.kafka.KafkaForwarder;
import io.hopper.kafka.LocalKafkaBroker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

@Timeout(value = 5, unit = TimeUnit.MINUTES) // a hang guard for the wait, not a speed check
class KafkaForwarderMetricsTest {

    @TempDir
    Path dir;

    @Test
    void metersFollowTheForwarder() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (LocalKafkaBroker broker = LocalKafkaBroker.start(dir.resolve("broker"));
             Channel<String> ch = Hopper.builder(String.class, dir.resolve("ch")).commitMode(CommitMode.MANUAL).open()) {
            broker.createTopic("lines", 1);
            KafkaForwarder<String> fwd = KafkaForwarder.builder(ch,
                            (String s) -> s.startsWith("bad") ? new ProducerRecord<>("lines", null, "x".repeat(2 << 20))
                                    : new ProducerRecord<>("lines", (String) null, s),
                            new StringSerializer(), new StringSerializer())
                    .producerConfig(Map.of("bootstrap.servers", broker.bootstrapServers())).start();
            new KafkaForwarderMetrics(fwd, "lines").bindTo(registry);
            for (int i = 0; i < 99; i++) {
                ch.sender().send("line " + i);
            }
            ch.sender().send("bad: larger than the producer's max.request.size");
            while (fwd.stats().forwarded() + fwd.stats().failed() < 100) {
                Thread.sleep(10);
            }
            fwd.close();
            assertEquals(99.0, registry.get("hopper.kafka.forwarded").tag("forwarder", "lines").functionCounter().count());
            assertEquals(1.0, registry.get("hopper.kafka.failed").functionCounter().count());
            assertEquals(1.0, registry.get("hopper.kafka.dropped").functionCounter().count());
            assertEquals(0.0, registry.get("hopper.kafka.dead.lettered").functionCounter().count());
            assertEquals(0.0, registry.get("hopper.kafka.in.flight").gauge().value());
            assertEquals(0.0, registry.get("hopper.kafka.backlog").gauge().value());
            assertEquals(0.0, registry.get("hopper.kafka.commit.lag").gauge().value());
            assertEquals(11, registry.getMeters().size(), "every documented meter is registered");
        }
    }
}
