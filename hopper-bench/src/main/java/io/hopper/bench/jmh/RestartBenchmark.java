package io.hopper.bench.jmh;

import io.hopper.Channel;
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
 * A planned restart with the memory tier full: {@code close} writes every record still in memory
 * to the channel's snapshot; {@code reopenAndDrain} opens the channel again and receives them all
 * (the snapshot replay). Each iteration starts from a fresh directory holding {@code records}
 * JSON-like lines of {@code recordBytes}, all in memory (256 MiB memory tier, nothing on disk).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5)
@Measurement(iterations = 5)
public class RestartBenchmark extends ChronicleForks {

    @Param({"500000"})
    public int records;

    @Param({"150"})
    public int recordBytes;

    private static final long MEMORY = 256L << 20;

    private byte[][] lines;
    private Path dir;
    private Channel<byte[]> channel;

    @Setup(Level.Trial)
    public void lines() {
        lines = Workload.lines(4096, recordBytes);
    }

    private Channel<byte[]> open() throws Exception {
        return Hopper.builder(byte[].class, dir).inMemoryBytes(MEMORY).weigher(b -> b.length).open();
    }

    @Setup(Level.Iteration)
    public void fill(org.openjdk.jmh.infra.BenchmarkParams params) throws Exception {
        dir = Files.createTempDirectory("hopper-jmh-restart-");
        channel = open();
        for (int i = 0; i < records; i++) {
            channel.sender().send(lines[i & 4095]);
        }
        if (params.getBenchmark().endsWith("reopenAndDrain")) {
            channel.close();
            channel = null;
        }
    }

    @TearDown(Level.Iteration)
    public void tearDown() throws Exception {
        if (channel != null) {
            channel.close();
        }
        Backlog.deleteTree(dir);
    }

    @Benchmark
    public void close() throws Exception {
        channel.close();
        channel = null;
    }

    @Benchmark
    public int reopenAndDrain() throws Exception {
        channel = open();
        int n = 0;
        while (channel.receiver().poll() != null) {
            n++;
        }
        if (n != records) {
            throw new IllegalStateException("received " + n + " of " + records + " records after the restart");
        }
        return n;
    }
}
