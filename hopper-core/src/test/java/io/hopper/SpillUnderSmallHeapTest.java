package io.hopper;

import io.hopper.testkit.ChildJvm;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * 200 MiB of 1 KiB JSON-like records through a channel with a 1 MiB memory budget, the consumer
 * paused for the first half, in a child JVM limited to {@code -Xmx128m}: order intact, queue
 * files created and deleted, heap bounded.
 */
class SpillUnderSmallHeapTest {

    @TempDir
    Path dir;

    @Test
    void twoHundredMebibytesThroughOneMebibyteOfMemory() throws Exception {
        List<String> jvm = new ArrayList<>(ChildJvm.chronicleFlags());
        jvm.add("-Xmx128m");
        ChildJvm.Result r = ChildJvm.run(Main.class, jvm, dir.resolve("ch").toString());
        System.out.println(r.output());
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("RESULT ok"), r.output());
    }

    /** The child: prints one "RESULT ok ..." line or exits non-zero. */
    public static final class Main {
        static final int RECORD = 1024;
        static final long TOTAL_BYTES = 200L << 20;

        static String record(long seq) {
            StringBuilder sb = new StringBuilder(RECORD);
            sb.append("{\"seq\":").append(seq).append(",\"host\":\"web-").append(seq % 17)
              .append("\",\"level\":\"").append(seq % 5 == 0 ? "WARN" : "INFO").append("\",\"msg\":\"");
            long x = seq * 0x9E3779B97F4A7C15L;
            while (sb.length() < RECORD - 2) {
                x ^= x << 13;
                x ^= x >>> 7;
                x ^= x << 17;
                sb.append((x & 3) == 0 ? " request served in " + (x >>> 50) + "ms" : " GET /api/v1/items");
            }
            sb.setLength(RECORD - 2);
            return sb.append("\"}").toString();
        }

        static long seqOf(String s) {
            int end = s.indexOf(',');
            return Long.parseLong(s.substring(7, end));
        }

        public static void main(String[] args) throws Exception {
            long total = TOTAL_BYTES / RECORD;
            AtomicReference<Throwable> failure = new AtomicReference<>();
            CountDownLatch halfSent = new CountDownLatch(1);
            try (Channel<String> ch = Hopper.builder(String.class, Path.of(args[0]))
                    .inMemoryBytes(1 << 20).weigher(s -> 40L + s.length())
                    .diskBytes(256L << 20).maxDiskFiles(32)
                    .open()) {
                long[] maxFiles = {0};
                Thread consumer = new Thread(() -> {
                    try {
                        halfSent.await();
                        for (long i = 0; i < total; i++) {
                            String s = ch.receiver().receive();
                            if (seqOf(s) != i || !s.equals(record(i))) {
                                throw new AssertionError("record " + i + " came back as " + s.substring(0, 40));
                            }
                            if ((i & 4095) == 0) {
                                maxFiles[0] = Math.max(maxFiles[0], ch.stats().diskFiles());
                            }
                        }
                    } catch (Throwable t) {
                        failure.set(t);
                    }
                });
                consumer.start();
                for (long i = 0; i < total; i++) {
                    ch.sender().send(record(i));
                    if (i == total / 2) {
                        maxFiles[0] = Math.max(maxFiles[0], ch.stats().diskFiles());
                        halfSent.countDown();
                    }
                }
                consumer.join();
                if (failure.get() != null) {
                    failure.get().printStackTrace();
                    System.exit(1);
                }
                ChannelStats st = ch.stats();
                long peakHeap = 0;
                for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                    if (pool.getType() == MemoryType.HEAP) {
                        peakHeap += pool.getPeakUsage().getUsed();
                    }
                }
                if (st.filesDeleted() == 0 || maxFiles[0] < 2 || st.diskFiles() > 1 || st.recordsOnDisk() != 0) {
                    System.out.println("unexpected file behaviour: " + st + " max files " + maxFiles[0]);
                    System.exit(1);
                }
                System.out.printf("RESULT ok records=%d spilled=%d filesDeleted=%d maxLiveFiles=%d bytesWritten=%d"
                                + " diskBytesPerRecord=%.1f peakHeapSumMiB=%d storage=%s%n",
                        total, st.recordsSpilled(), st.filesDeleted(), maxFiles[0], st.bytesWrittenToDisk(),
                        (double) st.bytesWrittenToDisk() / Math.max(1, st.recordsSpilled()), peakHeap >> 20,
                        st.storage());
            }
        }
    }
}
