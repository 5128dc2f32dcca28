package io.hopper.bench;

import io.hopper.Channel;
import io.hopper.Hopper;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Heap held while many senders are blocked on a full queue: N threads (platform, or virtual on
 * JDK 21+) each send one 1 KiB record into a hopper channel whose memory and disk are both full,
 * and into an {@code ArrayBlockingQueue} that is full, and the heap in use after a full GC is
 * compared with the heap before they started. The queue's difference is what hopper itself keeps
 * per blocked sender (encoder state, frames) on top of what any blocked thread costs (its stack,
 * which for a virtual thread is on the heap).
 *
 * <pre>java -cp hopper-bench.jar io.hopper.bench.BlockedSenders [threads=10000] [virtual|platform]</pre>
 */
public final class BlockedSenders {
    private BlockedSenders() {
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        boolean virtual = args.length <= 1 || args[1].equals("virtual");
        byte[][] records = Workload.lines(1024, 1024);
        long abq = measure(n, virtual, records, null);
        Path dir = Files.createTempDirectory("hopper-blocked-");
        try {
            long hopper = measure(n, virtual, records, dir);
            System.out.printf("%d %s senders blocked: heap held %,d KiB with ArrayBlockingQueue, %,d KiB with"
                            + " hopper; hopper's own share %,d KiB (%,d B per sender)%n", n,
                    virtual ? "virtual" : "platform", abq >> 10, hopper >> 10, (hopper - abq) >> 10,
                    (hopper - abq) / n);
        } finally {
            Backlog.deleteTree(dir);
        }
    }

    /** Heap in use after a GC with {@code n} senders blocked, minus the heap before they started. */
    private static long measure(int n, boolean virtual, byte[][] records, Path dir) throws Exception {
        Channel<byte[]> channel = null;
        BlockingQueue<byte[]> queue = null;
        if (dir != null) {
            channel = Hopper.builder(byte[].class, dir.resolve("ch")).inMemoryBytes(64 << 10)
                    .weigher(b -> 16L + b.length).diskBytes(4 << 20).maxDiskFiles(4).open();
            int i = 0;
            while (channel.sender().offer(records[i++ & 1023])) {
                // fill both tiers
            }
        } else {
            queue = new ArrayBlockingQueue<>(64);
            while (queue.offer(records[0])) {
                // fill it
            }
        }
        long before = usedAfterGc();
        CountDownLatch started = new CountDownLatch(n);
        List<Thread> threads = new ArrayList<>(n);
        Channel<byte[]> ch = channel;
        BlockingQueue<byte[]> q = queue;
        for (int t = 0; t < n; t++) {
            byte[] r = records[(t * 131) & 1023];
            Runnable send = () -> {
                started.countDown();
                try {
                    if (ch != null) {
                        ch.sender().send(r);
                    } else {
                        q.put(r);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (io.hopper.ChannelClosedException e) {
                    // released at the end
                }
            };
            threads.add(virtual ? startVirtual(send) : startPlatform(send));
        }
        started.await();
        waitUntilAllBlocked(threads);
        long held = usedAfterGc() - before;
        if (ch != null) {
            ch.close(); // wakes the senders with ChannelClosedException
        } else {
            for (Thread t : threads) {
                t.interrupt();
            }
        }
        for (Thread t : threads) {
            t.join();
        }
        return held;
    }

    private static void waitUntilAllBlocked(List<Thread> threads) throws InterruptedException {
        for (;;) {
            int waiting = 0;
            for (Thread t : threads) {
                Thread.State s = t.getState();
                waiting += s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING ? 1 : 0;
            }
            if (waiting == threads.size()) {
                return;
            }
            TimeUnit.MILLISECONDS.sleep(50);
        }
    }

    private static long usedAfterGc() throws InterruptedException {
        MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            TimeUnit.MILLISECONDS.sleep(100);
            used = Math.min(used, mem.getHeapMemoryUsage().getUsed());
        }
        return used;
    }

    private static Thread startPlatform(Runnable r) {
        Thread t = new Thread(r);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static Thread startVirtual(Runnable r) throws Exception {
        Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
        return (Thread) Class.forName("java.lang.Thread$Builder").getMethod("start", Runnable.class).invoke(builder, r);
    }
}
