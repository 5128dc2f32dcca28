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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Records per second moved from P producer threads to one consumer in memory, when producers
 * hand over batches: hopper's {@code sendAll} of {@link #batch} records against
 * {@code ArrayBlockingQueue}, which has no batch put (one {@code put} per record; its
 * {@code addAll} is the same loop). The consumer either takes one record at a time
 * ({@code take}: hopper's {@code receive}) or drains ({@code drainTo}: up to 1,024 per call, after
 * a blocking take when nothing is there), on both queues. One invocation moves 200,000 records.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class BatchTransferBenchmark extends ChronicleForks {
    static final int TOTAL = 200_000;

    @Param({"hopper", "ArrayBlockingQueue"})
    public String queue;

    @Param({"1", "2", "4"})
    public int producers;

    @Param({"64"})
    public int batch;

    @Param({"take", "drainTo"})
    public String consumer;

    @Param({"64"})
    public int recordBytes;

    private List<List<byte[]>> batches;
    private Path dir;
    private Channel<byte[]> channel;
    private ArrayBlockingQueue<byte[]> abq;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        byte[][] records = io.hopper.bench.Workload.lines(1024, recordBytes);
        batches = new ArrayList<>();
        for (int i = 0; i < records.length; i += batch) {
            batches.add(Arrays.asList(Arrays.copyOfRange(records, i, Math.min(records.length, i + batch))));
        }
        long memoryBytes = 256L << 20;
        switch (queue) {
            case "hopper" -> {
                dir = Files.createTempDirectory("hopper-jmh-");
                channel = Hopper.builder(byte[].class, dir.resolve("ch"))
                        .inMemoryBytes(memoryBytes).diskBytes(8L << 30).maxDiskFiles(64)
                        .weigher(b -> 16L + b.length).open();
            }
            case "ArrayBlockingQueue" -> abq = new ArrayBlockingQueue<>((int) Math.min(1 << 20,
                    memoryBytes / (16 + recordBytes)));
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
    @OperationsPerInvocation(TOTAL)
    public long transfer() throws Exception {
        int perProducer = TOTAL / producers / batch;
        Thread[] threads = new Thread[producers];
        for (int p = 0; p < producers; p++) {
            int id = p;
            threads[p] = new Thread(() -> {
                try {
                    for (int i = 0; i < perProducer; i++) {
                        List<byte[]> b = batches.get((id * 7 + i) % batches.size());
                        if (channel != null) {
                            channel.sender().sendAll(b);
                        } else {
                            for (byte[] r : b) {
                                abq.put(r);
                            }
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "bench-producer-" + p);
            threads[p].start();
        }
        int expected = perProducer * batch * producers;
        long sum = 0;
        int got = 0;
        List<byte[]> sink = new ArrayList<>(1024);
        boolean drain = consumer.equals("drainTo");
        while (got < expected) {
            if (drain) {
                sink.clear();
                int n = channel != null ? channel.receiver().drainTo(sink, 1024) : abq.drainTo(sink, 1024);
                if (n == 0) {
                    sum += (channel != null ? channel.receiver().receive() : abq.take()).length;
                    got++;
                } else {
                    for (int i = 0; i < n; i++) {
                        sum += sink.get(i).length;
                    }
                    got += n;
                }
            } else {
                sum += (channel != null ? channel.receiver().receive() : abq.take()).length;
                got++;
            }
        }
        for (Thread t : threads) {
            t.join();
        }
        return sum;
    }
}
