package io.hopper.kafka;

import io.hopper.Channel;
import io.hopper.ChannelClosedException;
import io.hopper.CommitMode;
import io.hopper.Durability;
import io.hopper.Hopper;
import io.hopper.StorageBackend;
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
import java.util.concurrent.TimeUnit;

/**
 * The child JVM of {@link ForwarderCrashTest}: an ingest process with a {@code MANUAL} channel and a
 * forwarder into Kafka.
 *
 * <p>{@code produce}: producers send numbered events and, after each send returns, append its id
 * to their report file (one unbuffered write each, so a {@code kill -9} loses no line written
 * before it); runs until killed or stopped (SIGTERM: the channel's shutdown hook closes the
 * forwarder, then the channel, and the process prints what the forwarder did).
 * {@code backlog}: one producer sends {@code 40,000} events before the forwarder starts, then the
 * forwarder catches up until the process halts itself ({@code Runtime.halt}: what a kill leaves)
 * three quarters through. {@code drain}: no producers; forwards what the channel holds,
 * closes the forwarder and the channel, and exits 0.
 *
 * <p>Arguments: mode, channel directory, bootstrap servers, topic, report directory, cycle,
 * in-flight window, durability, commit interval in milliseconds, storage back end.
 */
public final class ForwardingProcess {
    static final int BACKLOG = 40_000;

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
        Durability durability = Durability.valueOf(args[7]);
        Duration commitInterval = Duration.ofMillis(Long.parseLong(args[8]));
        StorageBackend storage = StorageBackend.valueOf(args[9]);
        LocalKafkaBroker.quietKafkaClients();
        Channel<Event> ch = Hopper.builder(Event.class, channelDir).commitMode(CommitMode.MANUAL).storage(storage)
                .durability(durability).inMemoryBytes("256 KiB").diskBytes("256 MiB").open();
        if (mode.equals("backlog")) {
            String source = "c" + cycle + "b";
            try (OutputStream report = new FileOutputStream(reports.resolve(source + ".acked").toFile())) {
                StringBuilder ids = new StringBuilder();
                for (long s = 0; s < BACKLOG; s++) {
                    ch.sender().send(Event.of(source, s));
                    ids.append(source).append(':').append(s).append('\n');
                }
                report.write(ids.toString().getBytes(StandardCharsets.US_ASCII));
            }
        }
        KafkaForwarder<Event> fwd = KafkaForwarder.builder(ch, (Event e) -> Delivery.toKafka(topic, e),
                        new StringSerializer(), new StringSerializer())
                .producerConfig(Map.of("bootstrap.servers", bootstrap))
                .maxInFlightRecords(window)
                .commitInterval(commitInterval)
                .shutdownTimeout(Duration.ofSeconds(20))
                .start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            // Beside hopper's hook: once it closed the channel, say what the forwarder did.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
            while (!ch.isClosed() && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            System.out.println("stopped: channel closed=" + ch.isClosed() + ", forwarder running=" + fwd.isRunning()
                    + ", " + fwd.stats());
        }));
        if (mode.equals("drain")) {
            while (ch.stats().recordsInMemory() + ch.stats().recordsOnDisk() > 0 || fwd.stats().inFlight() > 0) {
                Thread.sleep(20);
            }
            fwd.close(Duration.ofSeconds(30));
            System.out.println("drained: " + fwd.stats());
            ch.close();
            System.exit(fwd.failure() == null ? 0 : 1);
        }
        if (mode.equals("backlog")) {
            // Dies as a SIGKILL would leave it (no hook, no close), three quarters through.
            for (;;) {
                ForwarderStats st = fwd.stats();
                if (st.forwarded() >= BACKLOG * 3L / 4) {
                    System.out.println("halting: " + st);
                    System.out.flush();
                    Runtime.getRuntime().halt(137);
                }
                Thread.onSpinWait();
            }
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
                } catch (ChannelClosedException e) {
                    // the JVM is shutting down
                } catch (InterruptedException | IOException e) {
                    throw new IllegalStateException(e);
                }
            }, source);
            t.setDaemon(true);
            t.start();
            producers.add(t);
        }
        System.out.println("producing");
        for (Thread t : producers) {
            t.join();
        }
        Thread.sleep(Long.MAX_VALUE); // the channel closed under the producers: the JVM is going down
    }
}
