package io.hopper.bench.jmh;

import io.hopper.Channel;
import io.hopper.Hopper;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Records per second moved from P producer threads to one consumer, per queue. One invocation
 * moves {@link #BATCH} records end to end (threads started, all records received), like the
 * original crate's criterion comparison against its standard library channel.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class TransferBenchmark extends ChronicleForks {
    static final int BATCH = 200_000;

    @Param({"hopper", "ArrayBlockingQueue", "LinkedBlockingQueue", "MpscArrayQueue"})
    public String queue;

    @Param({"1", "2", "4", "8"})
    public int producers;

    @Param({"64", "1024"})
    public int recordBytes;

    /** Memory budget for hopper; ABQ/LBQ get the same number of records as slots. */
    @Param({"268435456"})
    public long memoryBytes;

    /** hopper's {@code consumerSpin} in microseconds; -1 keeps the library's default. */
    @Param({"-1"})
    public int spinMicros;

    private byte[][] records;
    private Path dir;
    private Channel<byte[]> channel;
    private BlockingQueue<byte[]> blockingQueue;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        records = io.hopper.bench.Workload.lines(1024, recordBytes);
        int slots = (int) Math.min(1 << 20, memoryBytes / (16 + recordBytes));
        switch (queue) {
            case "hopper" -> {
                dir = Files.createTempDirectory("hopper-jmh-");
                Hopper.Builder<byte[]> b = Hopper.builder(byte[].class, dir.resolve("ch"))
                        .inMemoryBytes(memoryBytes).diskBytes(8L << 30).maxDiskFiles(64)
                        .weigher(r -> 16L + r.length);
                if (spinMicros >= 0) {
                    b.consumerSpin(java.time.Duration.ofNanos(spinMicros * 1000L));
                }
                channel = b.open();
            }
            case "ArrayBlockingQueue" -> blockingQueue = new ArrayBlockingQueue<>(slots);
            case "LinkedBlockingQueue" -> blockingQueue = new LinkedBlockingQueue<>(slots);
            case "MpscArrayQueue" -> blockingQueue = new io.hopper.bench.ParkingMpscQueue<>(slots);
            default -> throw new IllegalArgumentException(queue);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        if (channel != null) {
            channel.close();
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long transfer() throws Exception {
        int per = BATCH / producers;
        Thread[] threads = Producers.start(producers, per, records, channel, blockingQueue);
        long sum = 0;
        for (int i = 0; i < per * producers; i++) {
            byte[] r = channel != null ? channel.receiver().receive() : blockingQueue.take();
            sum += r.length;
        }
        for (Thread t : threads) {
            t.join();
        }
        return sum;
    }
}
