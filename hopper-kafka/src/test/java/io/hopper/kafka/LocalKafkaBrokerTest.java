package io.hopper.kafka;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
