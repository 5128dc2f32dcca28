package io.hopper;

import io.hopper.testkit.ChildJvm;
import io.hopper.testkit.ChildReport;
import io.hopper.testkit.TestDirs;

import io.hopper.internal.segment.Frames;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kill -9 at random moments. A child JVM streams numbered records from several producers into a
 * channel while a consumer receives and commits; it reports every send that returned ("A"), every
 * receive ("R") and every commit (intent "K", done "D") in a report file. The parent kills it
 * with SIGKILL after a random number of acknowledged sends, reopens the directory and checks what
 * came back. {@code WRITE_THROUGH} cycles take the sync policies in turn ({@code NONE},
 * {@code every(64)}, {@code interval(20 ms)}, {@code ALWAYS}): forcing matters for a power loss,
 * and a process kill must cost nothing acknowledged under any of them.
 * Cycles: {@code -Dhopper.crash.cycles} (default 50; the {@code stress} profile runs 500). Each
 * test prints the seed of its kill moments; {@code -Dhopper.crash.seed} replays them (the child's
 * own thread scheduling is the machine's).
 */
@org.junit.jupiter.api.Timeout(value = 2, unit = java.util.concurrent.TimeUnit.HOURS) // -Pstress runs long
class CrashTest {
    private static final int CYCLES = Integer.getInteger("hopper.crash.cycles", 50);
    private static final int PRODUCERS = 3;
    private static final String[] SYNC_POLICIES = {"none", "every-64", "interval-20ms", "always"};

    /** A seed for one test's kill moments, printed so that a failure can be replayed with {@code -Dhopper.crash.seed}. */
    private static long seed(String test) {
        long seed = Long.getLong("hopper.crash.seed", System.nanoTime());
        System.out.println("CrashTest." + test + " seed: " + seed + " (replay: -Dhopper.crash.seed=" + seed + ")");
        return seed;
    }

    @Test
    void writeThroughLosesNothingWhoseSendReturned() throws Exception {
        long seed = seed("writeThroughLosesNothingWhoseSendReturned");
        Random rnd = new Random(seed);
        long totalAcked = 0;
        long totalRedelivered = 0;
        long blockFilesLeft = 0;
        long coveredByAutomaticStore = 0;
        Map<String, Integer> cyclesPerPolicy = new TreeMap<>();
        for (int cycle = 0; cycle < CYCLES; cycle++) {
            // Every sync policy, in turn: a process kill must cost nothing acknowledged under any of them.
            String policy = SYNC_POLICIES[cycle % SYNC_POLICIES.length];
            cyclesPerPolicy.merge(policy, 1, Integer::sum);
            // Every other run of four cycles rewrites sealed files in blocks while the child is killed.
            Compression compression = (cycle / SYNC_POLICIES.length) % 2 == 1 ? Compression.LZ4_BLOCKS : Compression.LZ4;
            Outcome o = cycle(Durability.WRITE_THROUGH, policy, rnd.nextInt(4000), cycle, OverflowPolicy.BLOCK,
                    compression);
            blockFilesLeft += o.blockFiles();
            // The read position is also committed on its own (before a consumed file is deleted,
            // and at most once a second): records the child received after its last explicit
            // commit need not come back. Each of those must have been reported received, except
            // at most one: the record the consumer had just taken when it was killed. When nothing
            // of a producer comes back, that holds for every record it had acknowledged after the
            // last explicit commit: an automatic store covered them all (the child's receive
            // reports say so), or one is lost.
            long unreported = 0;
            for (int p = 0; p < PRODUCERS; p++) {
                List<Long> got = o.received.get(p);
                String where = "seed " + seed + ", cycle " + cycle + " (" + policy + ", " + compression + ") producer "
                        + p + ": " + o;
                for (int i = 1; i < got.size(); i++) {
                    assertEquals(got.get(i - 1) + 1, got.get(i), "contiguous and in order, " + where);
                }
                long first = got.isEmpty() ? Math.max(o.acked[p], o.intent[p]) + 1 : got.get(0);
                if (got.isEmpty() && o.acked[p] > o.intent[p]) {
                    coveredByAutomaticStore++; // the case the old check took for a loss
                }
                if (!got.isEmpty()) {
                    assertTrue(first >= o.done[p] + 1, "a committed record came back, " + where);
                    assertTrue(got.get(got.size() - 1) >= o.acked[p], "an acknowledged record is missing, " + where);
                }
                for (long s = o.intent[p] + 1; s < first; s++) {
                    if (!o.receivedByChild().contains(((long) p << 32) | s)) {
                        unreported++;
                    }
                }
                assertTrue(unreported <= 1, "acknowledged records after the commit were neither delivered before"
                        + " the kill nor after it, " + where);
                totalAcked += o.acked[p] + 1;
                totalRedelivered += Math.max(0, o.intent[p] + 1 - first);
            }
        }
        System.out.printf("crash test WRITE_THROUGH: %d cycles (per sync policy: %s), %d acknowledged records"
                + " checked, %d redelivered after a commit that the kill interrupted, none lost; %d files the killed"
                + " children had rewritten in blocks; %d producer streams had nothing come back, every record"
                + " acknowledged after the last explicit commit received before the kill and covered by an automatic"
                + " store%n",
                CYCLES, cyclesPerPolicy, totalAcked, totalRedelivered, blockFilesLeft, coveredByAutomaticStore);
    }

    @Test
    void memoryFirstLosesAtMostTheMemoryTier() throws Exception {
        Random rnd = new Random(seed("memoryFirstLosesAtMostTheMemoryTier"));
        int cycles = Math.max(5, CYCLES / 5);
        long maxLost = 0;
        for (int cycle = 0; cycle < cycles; cycle++) {
            Outcome o = cycle(Durability.MEMORY_FIRST, "none", rnd.nextInt(4000), cycle);
            long lost = 0;
            for (int p = 0; p < PRODUCERS; p++) {
                List<Long> got = o.received.get(p);
                for (int i = 1; i < got.size(); i++) {
                    assertTrue(got.get(i) > got.get(i - 1), "in order, cycle " + cycle);
                }
                if (!got.isEmpty()) {
                    assertTrue(got.get(0) > o.done[p], "a committed record came back, cycle " + cycle);
                }
                // Acknowledged, not delivered to the child, and not back after the crash: it was in memory.
                java.util.Set<Long> back = new java.util.HashSet<>(got);
                for (long s = o.intent[p] + 1; s <= o.acked[p]; s++) {
                    if (!back.contains(s) && !o.receivedByChild().contains(((long) p << 32) | s)) {
                        lost++;
                    }
                }
            }
            maxLost = Math.max(maxLost, lost);
            // Plus one: the consumer may have taken a record from memory (delivered) and been killed
            // before it could report it, which this count cannot tell from a loss.
            assertTrue(lost <= Child.MEMORY_RECORDS + 1,
                    "lost " + lost + " records, more than memory holds, cycle " + cycle);
        }
        System.out.printf("crash test MEMORY_FIRST: %d cycles, at most %d records lost per crash (memory holds %d)%n",
                cycles, maxLost, Child.MEMORY_RECORDS);
    }

    /**
     * DROP_OLDEST under a SIGKILL: a lagging consumer on a small disk budget, so the child evicts
     * files all the time, and is killed in the middle. The restart delivers, per producer, one
     * unbroken run from its oldest survivor through the last acknowledged record (evictions take
     * only the oldest records, never one in the middle or a newer one), no committed record, and
     * never reports an evicted record as lost: the read position past an evicted file is forced
     * before the file is deleted.
     */
    @Test
    void dropOldestKilledMidEvictionRestartsAtTheSurvivorsAndCountsNoLoss() throws Exception {
        Random rnd = new Random(seed("dropOldestKilledMidEvictionRestartsAtTheSurvivorsAndCountsNoLoss"));
        int cycles = Integer.getInteger("hopper.crash.evict.cycles", 8);
        long evictedRestarts = 0;
        long evicted = 0;
        for (int cycle = 0; cycle < cycles; cycle++) {
            String syncPolicy = SYNC_POLICIES[cycle % SYNC_POLICIES.length];
            Outcome o = cycle(Durability.WRITE_THROUGH, syncPolicy, 3000 + rnd.nextInt(6000), cycle,
                    OverflowPolicy.DROP_OLDEST);
            evicted += o.evictedByChild();
            for (int p = 0; p < PRODUCERS; p++) {
                List<Long> got = o.received.get(p);
                String where = "cycle " + cycle + " (" + syncPolicy + ") producer " + p + ": " + o;
                for (int i = 1; i < got.size(); i++) {
                    assertEquals(got.get(i - 1) + 1, got.get(i), "one unbroken run after the oldest survivor, " + where);
                }
                if (!got.isEmpty()) {
                    assertTrue(got.get(0) > o.done[p], "a committed record came back, " + where);
                    assertTrue(got.get(got.size() - 1) >= o.acked[p], "a newer acknowledged record is missing, " + where);
                    if (got.get(0) > o.intent[p] + 1) {
                        evictedRestarts++; // the restart began past records read or evicted after the last commit
                    }
                } else {
                    // Nothing of this producer survived: its last acknowledged record was received
                    // before the kill, or went with an evicted file. A producer that fell behind
                    // the others has its newest records in the oldest files (seen once: producer 0
                    // at 896 acknowledged, the others past 1,800). The child counts evictions; it
                    // cannot say which records they took.
                    assertTrue(o.receivedByChild().contains(((long) p << 32) | o.acked[p]) || o.acked[p] < 0
                                    || o.evictedByChild() > 0,
                            "nothing came back though the last acknowledged record was neither received nor evicted, "
                                    + where);
                }
            }
        }
        System.out.printf("crash test DROP_OLDEST: %d cycles, at least %d records evicted before the kills, %d producer"
                + " streams resumed past records after the last commit, no loss counted%n", cycles, evicted,
                evictedRestarts);
        assertTrue(evicted > 0, "the children evicted records before they were killed");
    }

    /** What one cycle saw: per producer, the last acknowledged seq, the commit bounds, and what came back. */
    record Outcome(long[] acked, long[] done, long[] intent, List<List<Long>> received,
                   java.util.Set<Long> receivedByChild, long evictedByChild, String childLog, long blockFiles) {
        @Override
        public String toString() {
            return "acked=" + Arrays.toString(acked) + " committed in [" + Arrays.toString(done) + ", "
                    + Arrays.toString(intent) + "]" + (childLog.isBlank() ? "" : "; the child logged:\n" + childLog);
        }
    }

    private static Outcome cycle(Durability durability, String syncPolicy, int killAfterAcks, int cycle)
            throws Exception {
        return cycle(durability, syncPolicy, killAfterAcks, cycle, OverflowPolicy.BLOCK);
    }

    private static Outcome cycle(Durability durability, String syncPolicy, int killAfterAcks, int cycle,
                                 OverflowPolicy overflow) throws Exception {
        return cycle(durability, syncPolicy, killAfterAcks, cycle, overflow, Compression.LZ4);
    }

    private static Outcome cycle(Durability durability, String syncPolicy, int killAfterAcks, int cycle,
                                 OverflowPolicy overflow, Compression compression) throws Exception {
        Path dir = TestDirs.create();
        // The child writes its report to a file of its own: every line it flushed is in the page
        // cache and survives the SIGKILL, and nothing else writes there. (Its standard output and
        // error, where the JVM and the libraries log, go to a second file: sharing one stream
        // with the report could glue a log fragment to a report line and hide that line.)
        Path report = Files.createTempFile("hopper-crash-report-", ".txt");
        Path log = Files.createTempFile("hopper-crash-log-", ".txt");
        try {
            List<String> cmd = ChildJvm.command(Child.class, ChildJvm.chronicleFlags(), dir.toString(), durability.name(),
                    syncPolicy, report.toString(), overflow.name(), compression.name());
            Process child = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try {
                awaitAcks(child, report, killAfterAcks);
            } finally {
                child.destroyForcibly(); // SIGKILL, and no child outlives a failed or interrupted wait
            }
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the killed child did not end");
            String childLog = tail(Files.readString(log, StandardCharsets.UTF_8), 4000);
            assertEquals(128 + 9, child.exitValue(), "the child ended before the SIGKILL: " + childLog);

            long[] acked = new long[PRODUCERS];
            long[] done = new long[PRODUCERS];
            long[] intent = new long[PRODUCERS];
            Arrays.fill(acked, -1);
            Arrays.fill(done, -1);
            Arrays.fill(intent, -1);
            java.util.Set<Long> receivedByChild = new java.util.HashSet<>();
            long evictedByChild = 0;
            for (String line : Files.readAllLines(report, StandardCharsets.UTF_8)) {
                String[] f = line.split(" ");
                if (f[0].equals("A") && f.length == 3) {
                    int p = Integer.parseInt(f[1]);
                    acked[p] = Math.max(acked[p], Long.parseLong(f[2]));
                } else if (f[0].equals("K") && f.length == PRODUCERS + 1) {
                    for (int p = 0; p < PRODUCERS; p++) {
                        intent[p] = Long.parseLong(f[p + 1]);
                    }
                } else if (f[0].equals("R") && f.length == 3) {
                    receivedByChild.add(((long) Integer.parseInt(f[1]) << 32) | Long.parseLong(f[2]));
                } else if (f[0].equals("E") && f.length == 2) {
                    evictedByChild = Math.max(evictedByChild, Long.parseLong(f[1]));
                } else if (f[0].equals("D")) {
                    System.arraycopy(intent, 0, done, 0, PRODUCERS);
                } // else: the last line, cut short by the kill
            }
            List<List<Long>> received = new ArrayList<>();
            for (int p = 0; p < PRODUCERS; p++) {
                received.add(new ArrayList<>());
            }
            long blockFiles = 0;
            for (Path f : TestDirs.segmentFileList(dir)) {
                if (Frames.version(f) == 2) {
                    blockFiles++;
                }
            }
            try (Channel<Long> ch = Child.open(dir, durability, Child.syncPolicy(syncPolicy), overflow, compression)) {
                Long v;
                while ((v = ch.receiver().poll()) != null) {
                    int p = (int) (v >>> 32);
                    assertTrue(p >= 0 && p < PRODUCERS, "not a record that was sent: " + v);
                    received.get(p).add(v & 0xffffffffL);
                }
                assertEquals(0, ch.stats().recordsLost(), "cycle " + cycle + ": " + ch.stats());
                assertEquals(0, ch.stats().corruptFramesSkipped(), "cycle " + cycle + ": " + ch.stats());
                // A kill can tear at most the frame being written, in the one file being written;
                // a file created just before it, its header not written yet, holds nothing and is
                // removed, never set aside as unreadable.
                assertTrue(ch.stats().filesRepaired() <= 1, "cycle " + cycle + ": " + ch.stats());
                try (var files = Files.list(dir)) {
                    assertEquals(List.of(), files.map(f -> f.getFileName().toString())
                            .filter(n -> n.endsWith(".corrupt")).toList(), "cycle " + cycle + ": nothing set aside");
                }
            }
            return new Outcome(acked, done, intent, received, receivedByChild, evictedByChild, childLog, blockFiles);
        } finally {
            TestDirs.delete(dir);
            Files.deleteIfExists(report);
            Files.deleteIfExists(log);
        }
    }

    /** Follows the child's report until it has acknowledged {@code n} sends, ended, or 60 s passed. */
    private static void awaitAcks(Process child, Path report, int n) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        int acks = 0;
        boolean ackLine = false; // the line being read so far starts with "A"
        boolean lineStart = true;
        try (java.io.InputStream in = Files.newInputStream(report)) {
            byte[] buf = new byte[1 << 16];
            while (acks < n && child.isAlive() && System.nanoTime() < deadline) {
                int got = in.read(buf);
                if (got <= 0) {
                    Thread.sleep(1); // pacing the follower, not an assertion
                    continue;
                }
                for (int i = 0; i < got; i++) { // counts whole "A" lines only
                    if (lineStart) {
                        ackLine = buf[i] == 'A';
                    }
                    lineStart = buf[i] == '\n';
                    if (lineStart && ackLine) {
                        acks++;
                    }
                }
            }
        }
    }

    private static String tail(String s, int max) {
        return s.length() <= max ? s : s.substring(s.length() - max);
    }

    /** The child: producers send (p << 32 | seq) until killed; a consumer receives and commits every 100. */
    public static final class Child {
        static final int MEMORY_RECORDS = 64;

        static SyncPolicy syncPolicy(String name) {
            return switch (name) {
                case "none" -> SyncPolicy.NONE;
                case "every-64" -> SyncPolicy.every(64);
                case "interval-20ms" -> SyncPolicy.interval(java.time.Duration.ofMillis(20));
                case "always" -> SyncPolicy.ALWAYS;
                default -> throw new IllegalArgumentException(name);
            };
        }

        static Channel<Long> open(Path dir, Durability durability, SyncPolicy syncPolicy, OverflowPolicy overflow,
                                  Compression compression) throws Exception {
            // DROP_OLDEST: a disk budget of about 2,000 records, so a lagging consumer sees evictions.
            // Blocks: files of about 500 records, so files are sealed, and rewritten, while the consumer lags.
            boolean small = overflow == OverflowPolicy.DROP_OLDEST;
            boolean blocks = compression == Compression.LZ4_BLOCKS;
            return Hopper.builder(Long.class, dir).durability(durability).syncPolicy(syncPolicy)
                    .inMemoryBytes(8L * MEMORY_RECORDS).weigher(x -> 8)
                    .diskBytes(small ? 4 * 16384 : 4L << 20).maxDiskFiles(small ? 4 : blocks ? 256 : 16)
                    .overflow(overflow).compression(compression)
                    .open();
        }

        public static void main(String[] args) throws Exception {
            ChildReport report = new ChildReport(args[3]);
            Durability durability = Durability.valueOf(args[1]);
            OverflowPolicy overflow = OverflowPolicy.valueOf(args[4]);
            Compression compression = Compression.valueOf(args[5]);
            Channel<Long> ch = open(Path.of(args[0]), durability, syncPolicy(args[2]), overflow, compression);
            // Lag behind the producers: with DROP_OLDEST so that the disk budget fills and files are
            // evicted; with blocks so that sealed files wait on disk, where they are rewritten.
            boolean lag = overflow == OverflowPolicy.DROP_OLDEST || compression == Compression.LZ4_BLOCKS;
            report.startProducers(ch, PRODUCERS);
            long[] last = new long[PRODUCERS];
            Arrays.fill(last, -1);
            for (long n = 1; ; n++) {
                long v = ch.receiver().receive();
                last[(int) (v >>> 32)] = v & 0xffffffffL;
                report.received(v);
                if (lag && n % 20 == 0) {
                    Thread.sleep(1);
                }
                if (n % 100 == 0) {
                    StringBuilder k = new StringBuilder("K");
                    for (long l : last) {
                        k.append(' ').append(l);
                    }
                    report.line(k.toString());
                    ch.receiver().commit();
                    report.line("D");
                    report.line("E " + ch.stats().recordsEvicted());
                }
            }
        }
    }
}
