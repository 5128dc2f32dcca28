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
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Producers' send rate while the consumer is slower than they are: the disk path carries the
 * load. A consumer thread runs for the whole trial and takes {@code consumerNanos} per record
 * (default 20 us: a downstream sink at 50,000 records/s), waiting rather than computing, as a
 * sink does. One invocation is P producer threads sending {@link #BATCH} records in total,
 * timed until the last send returns; between invocations (untimed) the consumer catches up, so
 * every invocation starts from an empty queue.
 *
 * <p>hopper has {@code memoryBytes} of memory and overflows to disk, so its producers run at the
 * speed of serialization + LZ4 + append, in parallel outside the lock; {@code ArrayBlockingQueue}
 * gets the same memory as slots and makes producers wait for the consumer.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class SpillBenchmark extends ChronicleForks {
    static final int BATCH = 50_000;

    @Param({"hopper", "ArrayBlockingQueue"})
    public String queue;

    @Param({"1", "2", "4"})
    public int producers;

    @Param({"1024"})
    public int recordBytes;

    @Param({"1048576"})
    public long memoryBytes;

    @Param({"20000"})
    public long consumerNanos;

    /** hopper's {@code SyncPolicy}: {@code NONE} (the default) or {@code ALWAYS}. */
    @Param({"NONE"})
    public String sync;

    /** hopper's storage back end: {@code AUTO} (Chronicle Bytes with the jar's flags), {@code FILE_CHANNEL}, {@code CHRONICLE_BYTES}. */
    @Param({"AUTO"})
    public String storage;

    /**
     * hopper's {@code Durability}: {@code MEMORY_FIRST} (the default; with a slow consumer most
     * records still pass through memory) or {@code WRITE_THROUGH} (every record through a queue
     * file: the disk path alone, and under {@code ALWAYS} the device's flush rate with group commit).
     */
    @Param({"MEMORY_FIRST"})
    public String durability;

    /**
     * Size of one queue file, MiB (128 of them make the disk budget). Small files show what the
     * per-file costs weigh: creation, and under a forcing policy the directory force of each new file.
     */
    @Param({"64"})
    public int fileMiB;

    /**
     * Who sends: {@code platform} (P producer threads, each sending its share) or {@code virtual}
     * (a new virtual thread for every send, as a service with a virtual thread per request does;
     * JDK 21+, {@code producers} is ignored).
     */
    @Param({"platform"})
    public String threads;

    private byte[][] records;
    private Path dir;
    private Channel<byte[]> channel;
    private BlockingQueue<byte[]> blockingQueue;
    private Thread consumer;
    /** Records the consumer has taken. Written by the consumer thread only; atomic so the benchmark thread sees it. */
    private final AtomicLong consumed = new AtomicLong();
    /** Records sent so far. Written and read only by the benchmark thread (send and its invocation tear-down). */
    private long sent;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        records = Workload.lines(4096, recordBytes);
        if (queue.equals("hopper")) {
            dir = Files.createTempDirectory("hopper-jmh-spill-");
            channel = Hopper.builder(byte[].class, dir.resolve("ch"))
                    .inMemoryBytes(memoryBytes).diskBytes(128L * fileMiB << 20).maxDiskFiles(128)
                    .weigher(b -> 16L + b.length).syncPolicy(syncPolicy(sync)).storage(storage(storage))
                    .durability(io.hopper.Durability.valueOf(durability)).open();
        } else if (queue.equals("ArrayBlockingQueue")) {
            blockingQueue = new ArrayBlockingQueue<>((int) Math.max(1, memoryBytes / (16 + recordBytes)));
        } else {
            throw new IllegalArgumentException(queue);
        }
        io.hopper.bench.Transfer.SlowSink pace = new io.hopper.bench.Transfer.SlowSink(consumerNanos);
        consumer = new Thread(() -> {
            try {
                for (;;) {
                    byte[] r = channel != null ? channel.receiver().receive() : blockingQueue.take();
                    if (r.length != recordBytes) {
                        throw new IllegalStateException("wrong record");
                    }
                    pace.record();
                    consumed.incrementAndGet();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (io.hopper.ChannelClosedException e) {
                // trial over
            }
        }, "slow-consumer");
        consumer.setDaemon(true);
        consumer.start();
    }

    /** Untimed: lets the consumer drain what the last invocation sent. */
    @TearDown(Level.Invocation)
    public void catchUp() throws InterruptedException {
        while (consumed.get() < sent) {
            Thread.sleep(1);
        }
    }

    /** Each of the {@link #BATCH} sends on a virtual thread of its own; returns when all have returned. */
    private void sendFromVirtualThreads() throws Exception {
        ExecutorService perTask = (ExecutorService) Executors.class.getMethod("newVirtualThreadPerTaskExecutor")
                .invoke(null);
        int mask = records.length - 1;
        for (int i = 0; i < BATCH; i++) {
            byte[] r = records[(i * 131) & mask];
            perTask.execute(() -> {
                try {
                    if (channel != null) {
                        channel.sender().send(r);
                    } else {
                        blockingQueue.put(r);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
        perTask.shutdown();
        if (!perTask.awaitTermination(10, TimeUnit.MINUTES)) {
            throw new IllegalStateException("virtual-thread sends did not finish");
        }
        sent += BATCH;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        consumer.interrupt();
        if (channel != null) {
            channel.close();
            Backlog.deleteTree(dir);
        }
        consumer.join(10_000);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void send() throws Exception {
        if (threads.equals("virtual")) {
            sendFromVirtualThreads();
            return;
        }
        int per = BATCH / producers;
        Thread[] threads = Producers.start(producers, per, records, channel, blockingQueue);
        for (Thread t : threads) {
            t.join();
        }
        sent += (long) per * producers;
    }
}
