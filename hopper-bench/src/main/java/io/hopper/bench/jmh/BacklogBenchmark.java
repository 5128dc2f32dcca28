package io.hopper.bench.jmh;

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
 * A backlog written with the consumer stopped, then drained: hopper (4 MiB memory tier, so the
 * backlog lands on disk) against Chronicle Queue and Tape, one writer and one reader each.
 *
 * <p>Each measured iteration is one single shot of {@code -bs} calls (default 65,536 records of
 * {@code recordBytes}, i.e. 64 MiB of 1 KiB records): {@code write} appends that many records to
 * a fresh store; {@code drain} takes that many back out of a store the iteration's set-up filled
 * (untimed). The score is seconds per batch: records/s = batch / score. Tape syncs every append
 * and every remove, so give it a smaller batch for both phases ({@code -bs 2048 -wbs 2048}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 10, batchSize = 65_536)
@Measurement(iterations = 5, batchSize = 65_536)
public class BacklogBenchmark extends ChronicleForks {

    /**
     * {@code hopperReadAhead} is hopper with {@code readAhead(true)}; {@code hopperBlocks} with
     * {@code Compression.LZ4_BLOCKS} (drain: the set-up waits for the rewrites, outside the timing);
     * {@code hopperUncompressed} with {@code Compression.NONE}, storing records as the others do.
     */
    @Param({"hopper", "ChronicleQueue", "Tape"})
    public String store;

    /**
     * CPU time the consumer spends on each record after taking it (busy, as a consumer that parses
     * or transforms records): 0 for a bare drain, 1000 for a consumer at 1 µs per record.
     */
    @Param({"0"})
    public long consumerNanos;

    @Param({"1024"})
    public int recordBytes;

    /**
     * {@code bytes}: {@code byte[]} records; {@code String}: text records of as many ASCII chars,
     * through each store's text API (hopper a {@code Channel<String>}, Chronicle Queue
     * {@code writeText}/{@code readText}; {@code ChronicleQueueUTF8} is Chronicle Queue with the
     * UTF-8 bytes through its byte path).
     */
    @Param({"bytes"})
    public String recordType;

    /**
     * How {@code drain} finds the backlog: {@code warm} (just written, store open, files in the page
     * cache) or {@code cold} (the set-up closes the store, forces the files, drops the page cache
     * and reopens the store: a backlog after a long outage or a restart; needs root on Linux, and
     * fails the trial otherwise rather than measure something else).
     */
    @Param({"warm"})
    public String cache;

    /** Records the drain set-up writes first; must be at least the batch size. */
    @Param({"65536"})
    public int backlogRecords;

    private byte[][] records;
    private String[] lines;
    private boolean text;
    private Path dir;
    private Backlog.Store target;
    private int next;

    @Setup(Level.Trial)
    public void records() {
        text = switch (recordType) {
            case "bytes" -> false;
            case "String" -> true;
            default -> throw new IllegalArgumentException("recordType is bytes or String: " + recordType);
        };
        records = Workload.lines(4096, recordBytes);
        lines = Workload.textLines(4096, recordBytes);
    }

    private void openStore(long records) throws Exception {
        dir = Files.createTempDirectory("hopper-jmh-backlog-");
        capacity = records * recordBytes;
        target = Backlog.open(storeName(), dir.resolve("s"), capacity, text);
        next = 0;
    }

    private long capacity;

    private String storeName() {
        return switch (store) {
            case "ChronicleQueue" -> "Chronicle Queue";
            case "ChronicleQueueUTF8" -> "Chronicle Queue UTF-8";
            case "hopperReadAhead" -> "hopper read-ahead";
            case "hopperBlocks" -> "hopper blocks";
            case "hopperUncompressed" -> "hopper uncompressed";
            default -> store;
        };
    }

    /** Fresh store per iteration; for drain, filled with the backlog outside the timing. */
    @Setup(Level.Iteration)
    public void setUp(org.openjdk.jmh.infra.BenchmarkParams params) throws Exception {
        boolean drain = params.getBenchmark().endsWith("drain");
        openStore(Math.max(backlogRecords, 65_536L) * 2);
        if (drain) {
            for (int i = 0; i < backlogRecords; i++) {
                if (text) {
                    target.appendText(lines[i & 4095]);
                } else {
                    target.append(records[i & 4095]);
                }
            }
            target.settle();
            if (cache.equals("cold")) {
                target.close();
                if (!Backlog.dropPageCache()) {
                    throw new IllegalStateException("-p cache=cold needs to drop the page cache (root on Linux)");
                }
                target = Backlog.open(storeName(), dir.resolve("s"), capacity, text);
            }
        }
    }

    @TearDown(Level.Iteration)
    public void tearDown() throws Exception {
        target.close();
        Backlog.deleteTree(dir);
    }

    @Benchmark
    public void write() throws Exception {
        if (text) {
            target.appendText(lines[next++ & 4095]);
        } else {
            target.append(records[next++ & 4095]);
        }
    }

    @Benchmark
    public Object drain() throws Exception {
        Object r = text ? target.takeText() : target.take();
        if (r == null) {
            throw new IllegalStateException("the backlog ran out: -p backlogRecords must be at least -bs");
        }
        if (consumerNanos > 0) {
            long until = System.nanoTime() + consumerNanos;
            while (System.nanoTime() < until) {
                Thread.onSpinWait();
            }
        }
        return r;
    }
}
