package io.hopper.bench;

import io.hopper.Compression;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pieces of the quick comparison: its command line, each backlog store, the latency run and the reports. */
class QuickComparisonTest {

    @Test
    void optionsHaveEmbeddedDefaultsAndRejectNonsense() {
        Main.Options o = Main.Options.parse(new String[0]);
        assertEquals(2.0, o.seconds());
        assertArrayEquals(new int[] {1, 2, 4}, o.producers());
        assertEquals(64, o.backlogMiB());
        assertNull(o.json());
        assertFalse(o.dropCaches(), "the machine's page cache is left alone unless asked");
        assertTrue(Main.Options.parse(new String[] {"--drop-caches", "--seconds", "1"}).dropCaches());
        Main.Options p = Main.Options.parse(new String[] {"--seconds", "0.5", "--producers", "1, 8",
            "--backlog-mib", "16", "--json", "r.json", "--html", "r.html"});
        assertEquals(0.5, p.seconds());
        assertArrayEquals(new int[] {1, 8}, p.producers());
        assertEquals(16, p.backlogMiB());
        assertEquals(Path.of("r.html"), p.html());
        assertNull(Main.Options.parse(new String[] {"--help"}));
        assertThrows(IllegalArgumentException.class, () -> Main.Options.parse(new String[] {"--seconds", "0"}));
        assertThrows(IllegalArgumentException.class, () -> Main.Options.parse(new String[] {"--seconds", "x"}));
        assertThrows(IllegalArgumentException.class, () -> Main.Options.parse(new String[] {"--producers", "0"}));
        assertThrows(IllegalArgumentException.class, () -> Main.Options.parse(new String[] {"--backlog-mib", "0"}));
        assertThrows(IllegalArgumentException.class, () -> Main.Options.parse(new String[] {"--bogus", "1"}));
        assertThrows(IllegalArgumentException.class, () -> Main.Options.parse(new String[] {"--json"}));
    }

    @Test
    void ratesAreParsedWithSaturationAsNaN() {
        double[] d = Main.Options.parse(new String[0]).rates();
        assertEquals(4, d.length);
        assertEquals(10_000, d[0]);
        assertTrue(Double.isNaN(d[3]), "saturation by default");
        double[] r = Main.Options.parse(new String[] {"--rates", "5000, saturation"}).rates();
        assertEquals(5000, r[0]);
        assertTrue(Double.isNaN(r[1]));
        assertThrows(IllegalArgumentException.class, () -> Main.Options.parse(new String[] {"--rates", "0"}));
        assertThrows(IllegalArgumentException.class, () -> Main.Options.parse(new String[] {"--rates", "fast"}));
    }

    @Test
    void onlySelectsPartsAndNamesTheValidOnes() {
        assertEquals(Set.of("in-memory", "spill", "backlog", "latency"), Main.Options.parse(new String[0]).parts());
        assertEquals(Set.of("latency", "spill"),
                Main.Options.parse(new String[] {"--only", "latency, spill"}).parts());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Main.Options.parse(new String[] {"--only", "latency,disk"}));
        assertEquals("--only takes in-memory, spill, backlog, latency: disk", e.getMessage());
    }

    @Test
    void everyBacklogStoreReturnsEveryRecordAndCleansUp(@TempDir Path tmp) throws Exception {
        byte[][] records = Workload.lines(64, 1024);
        for (String store : Backlog.STORES) {
            Path dir = tmp.resolve(store.replace(' ', '-'));
            Backlog.Result r = Backlog.run(store, dir, records, 3_000, 60);
            assertEquals(3_000, r.records(), store);
            assertEquals(3_000, r.drained(), store);
            assertTrue(r.diskBytes() > 0, store + " wrote nothing to disk");
            assertTrue(r.writeRecordsPerSec() > 0 && r.drainRecordsPerSec() > 0, store);
            assertFalse(Files.exists(dir), store + " left its directory behind");
        }
    }

    @Test
    void aColdDrainReopensEveryStoreAndGetsEveryRecordBack(@TempDir Path tmp) throws Exception {
        byte[][] records = Workload.lines(64, 1024);
        for (String store : Backlog.STORES) { // the page cache is left alone: dropping it affects the whole machine
            Backlog.Result r = Backlog.run(store, tmp.resolve(store.replace(' ', '-')), records, 2_000, 60, true, false);
            assertEquals(2_000, r.drained(), store + ": every record back after the store was reopened");
            assertEquals("reopened", r.cache(), store);
        }
    }

    @Test
    void hopperBacklogGoesToDiskCompressed(@TempDir Path tmp) throws Exception {
        // 3,000 x 1 KiB: with a 4 MiB memory tier most stays in memory, so write more than that.
        Backlog.Result r = Backlog.run("hopper", tmp.resolve("h"), Workload.lines(256, 1024), 12_000, 60);
        assertTrue(r.notes().contains("on disk"), r.notes());
        assertTrue(r.diskBytesPerRecord() < 1024, "LZ4 should shrink JSON-like lines: " + r.diskBytesPerRecord());
    }

    /** Text records go in and come back as Strings through every store, each checked in order. */
    @Test
    void everyStoreMovesStringLines(@TempDir Path tmp) throws Exception {
        String[] lines = Workload.textLines(512, Main.SMALL_RECORD_BYTES);
        for (String store : Backlog.SMALL_RECORD_STORES) {
            Backlog.Result r = Backlog.runText(store, tmp.resolve(store.replace(' ', '-')), lines, 3_000, 60);
            assertEquals(3_000, r.drained(), store);
            assertTrue(r.text(), store);
            assertEquals(Main.SMALL_RECORD_BYTES, r.recordBytes(), store);
        }
    }

    /** Small log lines: rewritten in shared blocks, the backlog takes under a third of its raw bytes, and less than per-record LZ4. */
    @Test
    void hopperBlocksStoreSmallLinesInAFractionOfTheDisk(@TempDir Path tmp) throws Exception {
        byte[][] lines = Workload.lines(4096, Main.SMALL_RECORD_BYTES);
        Backlog.Result plain = Backlog.run("hopper", tmp.resolve("p"), lines, 120_000, 60);
        Backlog.Result blocks = Backlog.run("hopper blocks", tmp.resolve("b"), lines, 120_000, 60);
        assertEquals(120_000, blocks.drained(), "every record back, in order (Backlog checks each)");
        assertTrue(blocks.notes().contains("rewritten in blocks"), blocks.notes());
        assertTrue(blocks.diskBytesPerRecord() * 3 <= Main.SMALL_RECORD_BYTES
                        && blocks.diskBytesPerRecord() < plain.diskBytesPerRecord(),
                "disk bytes per record: LZ4 " + plain.diskBytesPerRecord() + ", blocks " + blocks.diskBytesPerRecord());
    }

    /** The budget-fill tool gets every record back, and a budget in blocks holds more small lines. */
    @Test
    void budgetFillCountsWhatABudgetHolds(@TempDir Path tmp) throws Exception {
        byte[][] lines = Workload.lines(4096, Main.SMALL_RECORD_BYTES);
        BudgetFill.Result plain = BudgetFill.fill(tmp.resolve("p"), 2L << 20, 16, Compression.LZ4, lines);
        BudgetFill.Result blocks = BudgetFill.fill(tmp.resolve("b"), 2L << 20, 16, Compression.LZ4_BLOCKS, lines);
        assertTrue(plain.records() > 0 && plain.stats().bytesOnDisk() <= 2L << 20, plain.toString());
        assertTrue(blocks.records() > 2 * plain.records(), "records held: " + plain.records() + " and " + blocks.records());
        assertFalse(Files.exists(tmp.resolve("b")), "the channel directory is removed");
    }

    @Test
    void unknownStoreIsRefused(@TempDir Path tmp) {
        assertThrows(IllegalArgumentException.class, () -> Backlog.open("bigqueue", tmp, 1));
    }

    @Test
    void latencyRunTimesEveryRecord() throws Exception {
        Latency.Result r = Latency.run("ArrayBlockingQueue", Transfer.arrayBlockingQueue(1024), 20_000, 0.1, 0.05);
        assertEquals(2_000, r.records());
        assertTrue(r.p50() > 0 && r.p50() <= r.p99() && r.p99() <= r.p999() && r.p999() <= r.max(), r.toString());
    }

    @Test
    void interleavedRoundsTimeEveryRecordOfEveryQueueInTheGivenOrder() throws Exception {
        List<String> order = new java.util.ArrayList<>();
        List<Latency.Result> r = Latency.interleaved(
                List.of(new Latency.Queue("a", Transfer.arrayBlockingQueue(1024)),
                        new Latency.Queue("b", Transfer.arrayBlockingQueue(16))),
                20_000, 0.3, 0.01, 3, (q, round) -> order.add(q.name() + round));
        assertEquals(List.of("a0", "b0", "b1", "a1", "a2", "b2"), order);
        assertEquals(List.of("a", "b"), r.stream().map(Latency.Result::queue).toList());
        for (Latency.Result x : r) {
            assertEquals(3 * 2_000, x.records(), x.toString());
            assertEquals(3, x.roundP99().size(), "one p99 per round");
            assertTrue(x.roundP99().stream().allMatch(p -> p > 0 && p <= x.max()), x.toString());
            assertTrue(x.p50() > 0 && x.p50() <= x.p99() && x.p99() <= x.p999() && x.p999() <= x.max(), x.toString());
        }
    }

    @Test
    void aBacklogLargerThanThePoolMakesTheProducerWaitRatherThanReuseAnArrayInFlight() throws Exception {
        // The queue holds more than the pool and the consumer starts late, so the producer runs a
        // whole pool ahead. The consumer checks every record's sequence number: an array reused
        // while still queued would arrive with a later number and fail the run.
        java.util.concurrent.ArrayBlockingQueue<byte[]> q = new java.util.concurrent.ArrayBlockingQueue<>(4 * Latency.POOL);
        java.util.concurrent.atomic.AtomicBoolean started = new java.util.concurrent.atomic.AtomicBoolean();
        Transfer.Target lateConsumer = receivingBy(q, () -> {
            if (started.compareAndSet(false, true)) {
                while (q.remainingCapacity() > 3 * Latency.POOL) { // wait until a pool's worth is queued
                    Thread.sleep(1);
                }
                Thread.sleep(50);
            }
            return q.take();
        });
        double rate = Latency.saturatedRate(lateConsumer, 2L * Latency.POOL);
        assertTrue(rate > 0 && Double.isFinite(rate), "rate " + rate);
        assertTrue(started.get());
    }

    @Test
    void aConsumerThatFailsEndsTheRunWithItsErrorInsteadOfBlockingTheProducer() {
        java.util.concurrent.ArrayBlockingQueue<byte[]> q = new java.util.concurrent.ArrayBlockingQueue<>(4);
        Transfer.Target failing = receivingBy(q, () -> {
            q.take();
            throw new IllegalStateException("sink broke");
        });
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Latency.run("failing", failing, Double.POSITIVE_INFINITY, 1, 0));
        assertEquals("sink broke", e.getCause().getMessage());
        assertFalse(Thread.currentThread().isInterrupted());
    }

    /** How a test's consumer takes a record. */
    interface Receive {
        byte[] receive() throws InterruptedException;
    }

    /** A target that puts into {@code q} and receives with {@code receive}. */
    private static Transfer.Target receivingBy(java.util.concurrent.BlockingQueue<byte[]> q, Receive receive) {
        return new Transfer.Target() {
            @Override
            public void send(byte[] r) throws InterruptedException {
                q.put(r);
            }

            @Override
            public byte[] receive() throws InterruptedException {
                return receive.receive();
            }
        };
    }

    @Test
    void saturatedRateIsMeasuredWithTheLatencyProducersOwnWork() throws Exception {
        double r = Latency.saturatedRate(Transfer.arrayBlockingQueue(1024), 20_000);
        assertTrue(r > 0 && Double.isFinite(r), "rate " + r);
    }

    @Test
    void slowConsumerTransferReportsSendAndDrainTimes() throws Exception {
        long[] ns = Transfer.run(Transfer.arrayBlockingQueue(16), 2, Workload.lines(8, 64), 500, 1_000);
        assertTrue(ns[0] > 0 && ns[0] <= ns[1], ns[0] + " " + ns[1]);
        // 1,000 records at >= 1 us each, paid in sleeps.
        assertTrue(ns[1] >= 1_000_000L, "consumer work was not applied: " + ns[1]);
    }

    @Test
    void reportsCarryEveryRow() {
        List<Main.Row> rows = List.of(
                new Main.Row(Main.IN_MEMORY, "hopper", 1, 64, 1e7, 1.1e7, ""),
                new Main.Row(Main.IN_MEMORY, "ArrayBlockingQueue", 1, 64, 9e6, 9e6, "a \"quoted\" note"),
                new Main.Row(Main.IN_MEMORY, "hopper", 4, 64, 2e7, 2e7, ""),
                new Main.Row(Main.SPILL, "hopper", 1, 1024, 4e5, 9e5, "50% spilled"));
        List<Backlog.Result> backlog = List.of(new Backlog.Result("Tape", 10, 10, 1024, true, 1_000_000, 2_000_000, 10240,
                "allocated", 1 << 20, 1 << 24, "", "cold"));
        List<Latency.Result> latency = List.of(
                new Latency.Result("hopper", 1e4, 1000, 100, 200, 300, 400, List.of(190L, 210L)),
                new Latency.Result("hopper", 1e6, 1000, 120, 2500, 3000, 4000, List.of(2400L, 2600L)),
                new Latency.Result("ArrayBlockingQueue", 1e4, 1000, 150, 900, 1000, 1100, List.of(800L, 1000L)),
                new Latency.Result("ArrayBlockingQueue", 1e6, 1000, 200, 3000, 3100, 3200, List.of(2900L, 3100L)));
        String json = Report.json(rows, backlog, latency, 2);
        assertTrue(json.contains("\"recordsPerSec\": 20000000.000"), json);
        assertTrue(json.contains("a \\\"quoted\\\" note"), json);
        assertTrue(json.contains("\"writeRecordsPerSec\": 10000.000"), json);
        assertTrue(json.contains("\"cache\": \"cold\""), json);
        assertTrue(json.contains("\"recordType\": \"String\""), json);
        assertTrue(json.contains("\"p999Nanos\": 300"), json);
        assertTrue(json.contains("\"roundP99Nanos\": [190, 210]"), json);
        assertEquals(json.chars().filter(c -> c == '{').count(), json.chars().filter(c -> c == '}').count());
        String html = Report.html(rows, backlog, latency);
        assertEquals(3, html.split("<svg", -1).length - 1, "one chart per throughput scenario, and the latency curve");
        assertTrue(html.contains("hopper p99 at 1,000,000 records/s: 2.50 µs"), "every point of the curve: " + html);
        assertEquals(4, html.split("stroke-dasharray", -1).length - 1, "a dashed p50 line and legend per queue");
        assertTrue(html.contains("<polyline"), html);
        assertTrue(html.contains("&quot;") || !html.contains("\"quoted\""), "text is escaped");
        assertEquals(50.0, Report.niceCeiling(41));
        assertEquals(2e7, Report.niceCeiling(1.2e7));
        assertEquals("12.0M", Report.human(1.2e7));
    }
}
