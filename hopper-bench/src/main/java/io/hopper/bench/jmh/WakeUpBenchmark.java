package io.hopper.bench.jmh;

import io.hopper.Channel;
import io.hopper.ChannelClosedException;
import io.hopper.Hopper;
import io.hopper.bench.Backlog;
import io.hopper.bench.Workload;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * How soon a consumer blocked in {@code receive()} on an empty channel has a record that was just
 * sent. With {@code tier=disk} the channel has no memory budget, so the record is serialized,
 * compressed and appended to a queue file, the consumer wakes, and reads it back from the file;
 * with {@code tier=memory} it passes through the ring.
 *
 * <p>Each invocation starts with the consumer parked (an untimed per-invocation set-up waits until
 * its thread is waiting), sends one record, and ends when the consumer has taken it. The sample is
 * therefore the whole hand-over seen from outside: send, wake-up, read and decode. It is an upper
 * bound on the wake-up alone. {@link Mode#SampleTime} reports its percentiles.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class WakeUpBenchmark extends ChronicleForks {

    @Param({"disk", "memory"})
    public String tier;

    @Param({"1024"})
    public int recordBytes;

    /** hopper's {@code SyncPolicy}: {@code NONE} (the default) or {@code ALWAYS}. */
    @Param({"NONE"})
    public String sync;

    /** hopper's storage back end: {@code AUTO} (Chronicle Bytes with the jar's flags), {@code FILE_CHANNEL}, {@code CHRONICLE_BYTES}. */
    @Param({"AUTO"})
    public String storage;

    private byte[][] records;
    private Path dir;
    private Channel<byte[]> channel;
    private Thread consumer;
    /** Records the consumer has taken. Written by the consumer thread only; volatile so the benchmark thread sees each one. */
    private volatile long taken;
    /** Records sent. Written and read by the benchmark thread only. */
    private long sent;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        records = Workload.lines(1024, recordBytes);
        dir = Files.createTempDirectory("hopper-jmh-wakeup-");
        long memory = switch (tier) {
            case "disk" -> 0;
            case "memory" -> 64L << 20;
            default -> throw new IllegalArgumentException(tier);
        };
        channel = Hopper.builder(byte[].class, dir.resolve("ch"))
                .inMemoryBytes(memory).diskBytes(1L << 30).maxDiskFiles(16).syncPolicy(syncPolicy(sync)).storage(storage(storage)).open();
        consumer = new Thread(() -> {
            try {
                for (;;) {
                    byte[] r = channel.receiver().receive();
                    if (r.length != recordBytes) {
                        throw new IllegalStateException("wrong record");
                    }
                    taken = taken + 1; // single writer
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ChannelClosedException e) {
                // trial over
            }
        }, "blocked-consumer");
        consumer.setDaemon(true);
        consumer.start();
    }

    /** Untimed: the consumer has taken everything and is parked in {@code receive()} again. */
    @Setup(Level.Invocation)
    public void awaitConsumerParked() {
        for (;;) {
            Thread.State s = consumer.getState();
            if (taken == sent && (s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING)) {
                return;
            }
            if (s == Thread.State.TERMINATED) {
                throw new IllegalStateException("the consumer ended");
            }
            Thread.onSpinWait();
        }
    }

    @Benchmark
    public long sendToABlockedConsumer() throws InterruptedException {
        long want = sent + 1;
        channel.sender().send(records[(int) (sent % records.length)]);
        sent = want;
        while (taken < want) {
            Thread.onSpinWait();
        }
        return want;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        consumer.interrupt();
        channel.close();
        consumer.join(10_000);
        Backlog.deleteTree(dir);
    }
}
