package io.hopper.kafka;

import io.hopper.Channel;
import io.hopper.CommitMode;
import io.hopper.Durability;
import io.hopper.Hopper;
import org.apache.kafka.common.serialization.StringSerializer;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The child JVM of {@link ForwarderCrashTest}: an ingest process with a {@code WRITE_THROUGH},
 * {@code MANUAL} channel and a forwarder into Kafka.
 *
 * <p>{@code produce}: producers send numbered events and, after each send returns, append its id
 * to their report file (one unbuffered write each, so a {@code kill -9} loses no line written
 * before it); runs until killed. {@code drain}: no producers; forwards what the channel holds,
 * closes the forwarder and the channel, and exits 0.
 *
 * <p>Arguments: mode, channel directory, bootstrap servers, topic, report directory, cycle, in-flight window.
 */
public final class ForwardingProcess {
    private ForwardingProcess() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        Path channelDir = Path.of(args[1]);
        String bootstrap = args[2];
        String topic = args[3];
        Path reports = Path.of(args[4]);
        int cycle = Integer.parseInt(args[5]);
        int window = Integer.parseInt(args[6]);
        LocalKafkaBroker.quietKafkaClients();
        Channel<Event> ch = Hopper.builder(Event.class, channelDir).commitMode(CommitMode.MANUAL)
                .durability(Durability.WRITE_THROUGH).inMemoryBytes("256 KiB").diskBytes("256 MiB").open();
        KafkaForwarder<Event> fwd = KafkaForwarder.builder(ch, (Event e) -> Delivery.toKafka(topic, e),
                        new StringSerializer(), new StringSerializer())
                .producerConfig(Map.of("bootstrap.servers", bootstrap))
                .maxInFlightRecords(window)
                .commitInterval(Duration.ZERO) // commit whenever the acknowledged prefix moves
                .start();
        if (mode.equals("drain")) {
            while (ch.stats().recordsInMemory() + ch.stats().recordsOnDisk() > 0 || fwd.stats().inFlight() > 0) {
                Thread.sleep(20);
            }
            fwd.close(Duration.ofSeconds(30));
            System.out.println("drained: " + fwd.stats());
            ch.close();
            System.exit(fwd.failure() == null ? 0 : 1);
        }
        List<Thread> producers = new ArrayList<>();
        for (int p = 0; p < 2; p++) {
            String source = "c" + cycle + "p" + p;
            OutputStream report = new FileOutputStream(reports.resolve(source + ".acked").toFile());
            Thread t = new Thread(() -> {
                try {
                    for (long s = 0; ; s++) {
                        ch.sender().send(Event.of(source, s));
                        report.write((source + ":" + s + "\n").getBytes(StandardCharsets.US_ASCII));
                        if (s % 8 == 0) {
                            Thread.sleep(1);
                        }
                    }
                } catch (InterruptedException | IOException e) {
                    throw new IllegalStateException(e);
                }
            }, source);
            t.start();
            producers.add(t);
        }
        System.out.println("producing");
        for (Thread t : producers) {
            t.join();
        }
    }
}
