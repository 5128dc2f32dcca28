package io.hopper.bench;

import com.squareup.tape2.QueueFile;
import io.hopper.Channel;
import io.hopper.ChannelStats;
import io.hopper.Compression;
import io.hopper.Hopper;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The backlog scenario: a consumer is stopped while one writer appends a backlog of records,
 * then the consumer drains it. The same records go through hopper (whose memory tier is small, so
 * the backlog lands on disk), Chronicle Queue and Square's Tape ({@code QueueFile}), one writer
 * and one reader each, each used the way its documentation shows.
 *
 * <p>A store may stop a phase early when {@code maxPhaseSeconds} runs out (Tape, whose every
 * append and remove is a synchronous write, would take hours over a gigabyte); the rates then
 * cover the records it did move, and {@link Result#records()} says how many.
 */
public final class Backlog {
    private Backlog() {
    }

    /** The stores compared, in the order a run reports them. */
    public static final List<String> STORES = List.of("hopper", "Chronicle Queue", "Tape");

    /** The stores compared on small records: also hopper with its sealed files rewritten in shared blocks. */
    public static final List<String> SMALL_RECORD_STORES = List.of("hopper", "hopper blocks", "Chronicle Queue",
            "Chronicle Queue UTF-8", "Tape");

    /**
     * One store's backlog numbers. Rates are per second of the phase; disk bytes are what the
     * directory occupies after the writes. {@code cache} says how the drain found the files:
     * {@code warm} (just written, in the page cache, store kept open), {@code cold} (store closed,
     * files forced and the page cache dropped, store reopened: the regime of a backlog after a
     * long outage or a restart), {@code reopened} (closed and reopened, cache kept), or why cold
     * was not possible here.
     */
    record Result(String store, long records, long drained, int recordBytes, boolean text, long writeNanos, long drainNanos,
                  long diskBytes, String diskMethod, long heapBytes, long rssBytes, String notes, String cache) {
        double writeRecordsPerSec() {
            return records / (writeNanos / 1e9);
        }

        double drainRecordsPerSec() {
            return drained / (drainNanos / 1e9);
        }

        double writeMBPerSec() {
            return writeRecordsPerSec() * recordBytes / 1e6;
        }

        double drainMBPerSec() {
            return drainRecordsPerSec() * recordBytes / 1e6;
        }

        double diskBytesPerRecord() {
            return (double) diskBytes / records;
        }
    }

    /** What the scenario needs from a store: append with no reader, then read everything back. */
    public interface Store extends AutoCloseable {
        void append(byte[] record) throws Exception;

        /** The next record, or null when none is left. */
        byte[] take() throws Exception;

        /** Appends a text record, the way the store's documentation shows for text (by default as its UTF-8). */
        default void appendText(String record) throws Exception {
            append(record.getBytes(StandardCharsets.UTF_8));
        }

        /** The next text record, or null when none is left. */
        default String takeText() throws Exception {
            byte[] b = take();
            return b == null ? null : new String(b, StandardCharsets.UTF_8);
        }

        /** Extra facts for the report (e.g. compression), read after the writes. */
        default String notes() {
            return "";
        }

        /**
         * Waits for work the store does on its own after the writes that changes what the backlog
         * occupies on disk (hopper's rewriting in blocks), so the disk bytes are the backlog's.
         * Not timed.
         */
        default void settle() throws Exception {
        }

        @Override
        void close() throws Exception;
    }

    public static Store open(String store, Path dir, long backlogBytes) throws Exception {
        return open(store, dir, backlogBytes, false);
    }

    /** As {@link #open(String, Path, long)}; with {@code text}, a hopper store is a {@code Channel<String>}. */
    public static Store open(String store, Path dir, long backlogBytes, boolean text) throws Exception {
        Files.createDirectories(dir);
        Class<?> type = text ? String.class : byte[].class;
        return switch (store) {
            case "hopper" -> new HopperStore<>(type, dir, backlogBytes, false, Compression.LZ4);
            case "hopper read-ahead" -> new HopperStore<>(type, dir, backlogBytes, true, Compression.LZ4);
            case "hopper blocks" -> new HopperStore<>(type, dir, backlogBytes, false, Compression.LZ4_BLOCKS);
            case "hopper uncompressed" -> new HopperStore<>(type, dir, backlogBytes, false, Compression.NONE);
            case "Chronicle Queue" -> new ChronicleStore(dir, true);
            case "Chronicle Queue UTF-8" -> new ChronicleStore(dir, false);
            case "Tape" -> new TapeStore(dir);
            default -> throw new IllegalArgumentException("unknown store " + store + "; one of " + SMALL_RECORD_STORES
                    + ", \"hopper read-ahead\" or \"hopper uncompressed\"");
        };
    }

    /**
     * Writes {@code count} records (cycling through {@code records}) with the reader stopped, then
     * drains them, checking every record's length and first byte.
     */
    static Result run(String store, Path dir, byte[][] records, long count, double maxPhaseSeconds) throws Exception {
        return run(store, dir, records, count, maxPhaseSeconds, false, false);
    }

    /**
     * As {@link #run(String, Path, byte[][], long, double)}; with {@code reopen}, the store is closed
     * after the writes and reopened before the drain, and with {@code dropCache} too the page cache
     * is dropped in between (when this process may: root on Linux; it affects the whole machine,
     * so only the benchmark asks for it).
     */
    static Result run(String store, Path dir, byte[][] records, long count, double maxPhaseSeconds, boolean reopen,
                      boolean dropCache) throws Exception {
        return run(store, dir, records, null, count, maxPhaseSeconds, reopen, dropCache);
    }

    /**
     * As {@link #run(String, Path, byte[][], long, double)} with text records: {@code lines} go in
     * as {@code String}s and come back as {@code String}s, through each store's text API where it
     * has one (hopper: a {@code Channel<String>}; Chronicle Queue: {@code writeText}/{@code readText};
     * Tape: the UTF-8 bytes).
     */
    static Result runText(String store, Path dir, String[] lines, long count, double maxPhaseSeconds) throws Exception {
        return run(store, dir, null, lines, count, maxPhaseSeconds, false, false);
    }

    private static Result run(String store, Path dir, byte[][] records, String[] lines, long count,
                              double maxPhaseSeconds, boolean reopen, boolean dropCache) throws Exception {
        boolean text = lines != null;
        int recordBytes = text ? lines[0].getBytes(StandardCharsets.UTF_8).length : records[0].length;
        int distinct = text ? lines.length : records.length;
        long deadline;
        long written = 0;
        long drained = 0;
        long writeNanos;
        long drainNanos;
        long disk;
        String method;
        long heap;
        long rss;
        String notes;
        String cache = "warm";
        long backlogBytes = count * recordBytes;
        Store s = open(store, dir, backlogBytes, text);
        try {
            long t0 = System.nanoTime();
            deadline = t0 + (long) (maxPhaseSeconds * 1e9);
            while (written < count) {
                if (text) {
                    s.appendText(lines[(int) (written % distinct)]);
                } else {
                    s.append(records[(int) (written % distinct)]);
                }
                written++;
                if ((written & 255) == 0 && System.nanoTime() > deadline) {
                    break;
                }
            }
            writeNanos = System.nanoTime() - t0;
            s.settle();
            long[] du = diskUsage(dir);
            disk = du[0];
            method = du[1] == 1 ? "allocated" : "file sizes";
            System.gc(); // what the store retains, not the garbage of earlier scenarios
            heap = heapUsed();
            rss = rssBytes();
            notes = s.notes();
            if (reopen) {
                s.close();
                s = null;
                cache = !dropCache ? "reopened" : dropPageCache() ? "cold"
                        : "warm (the page cache could not be dropped: needs root)";
                s = open(store, dir, backlogBytes, text);
            }
            t0 = System.nanoTime();
            deadline = t0 + (long) (maxPhaseSeconds * 1e9);
            while (drained < written) {
                int k = (int) (drained % distinct);
                boolean right;
                if (text) {
                    String r = s.takeText();
                    if (r == null) {
                        break;
                    }
                    String expected = lines[k];
                    right = r.length() == expected.length() && r.charAt(r.length() - 1) == expected.charAt(expected.length() - 1);
                } else {
                    byte[] r = s.take();
                    if (r == null) {
                        break;
                    }
                    byte[] expected = records[k];
                    right = r.length == expected.length && r[r.length - 1] == expected[expected.length - 1];
                }
                if (!right) {
                    throw new IllegalStateException(store + " returned a wrong record at " + drained);
                }
                drained++;
                if ((drained & 255) == 0 && System.nanoTime() > deadline) {
                    break;
                }
            }
            drainNanos = System.nanoTime() - t0;
        } finally {
            try {
                if (s != null) {
                    s.close();
                }
            } finally {
                deleteTree(dir);
            }
        }
        return new Result(store, written, drained, recordBytes, text, writeNanos, drainNanos, disk, method, heap, rss,
                notes, cache);
    }

    /**
     * Forces every file to the device ({@code sync}) and drops the clean page cache (writes 3 to
     * {@code /proc/sys/vm/drop_caches}), so the next reads come from the device.
     *
     * @return false where this process may not (not Linux, not root)
     */
    public static boolean dropPageCache() {
        Path knob = Path.of("/proc/sys/vm/drop_caches");
        if (!Files.isWritable(knob)) {
            return false;
        }
        try {
            Process sync = new ProcessBuilder("sync").inheritIO().start();
            if (sync.waitFor() != 0) {
                return false;
            }
            Files.writeString(knob, "3\n");
            return true;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * hopper with a 4 MiB memory tier: a backlog of this size lands on disk. Also as "hopper
     * read-ahead", "hopper blocks" ({@link Compression#LZ4_BLOCKS}) and "hopper uncompressed"
     * ({@link Compression#NONE}, which stores records as Chronicle Queue and Tape do).
     */
    private static final class HopperStore<T> implements Store {
        private final Channel<T> channel;
        private final Compression compression;
        private long appended;

        HopperStore(Class<T> type, Path dir, long backlogBytes, boolean readAhead, Compression compression)
                throws IOException {
            long disk = Math.max(256L << 20, 2 * backlogBytes);
            this.compression = compression;
            // The weight of a record: its bytes (a String's length, 1 byte per char for these lines) and a header.
            channel = Hopper.builder(type, dir.resolve("ch"))
                    .inMemoryBytes(4L << 20).diskBytes(disk).maxDiskFiles(256)
                    .weigher(r -> 16L + (r instanceof byte[] b ? b.length : ((String) r).length()))
                    .readAhead(readAhead).compression(compression)
                    .open();
        }

        /**
         * With blocks: until every sealed file but the one the consumer reads next is rewritten
         * (the file being filled is not sealed), or nothing changed for a second.
         */
        @Override
        public void settle() throws InterruptedException {
            if (compression != Compression.LZ4_BLOCKS) {
                return;
            }
            long last = -1;
            long stable = System.nanoTime();
            for (;;) {
                ChannelStats st = channel.stats();
                if (st.filesCompacted() >= st.diskFiles() - 2) {
                    return;
                }
                if (st.filesCompacted() != last) {
                    last = st.filesCompacted();
                    stable = System.nanoTime();
                } else if (System.nanoTime() - stable > 1_000_000_000L) {
                    return;
                }
                Thread.sleep(5);
            }
        }

        @Override
        public void append(byte[] record) {
            offer(record);
        }

        @Override
        public void appendText(String record) {
            offer(record);
        }

        @SuppressWarnings("unchecked")
        private void offer(Object record) {
            if (!channel.sender().offer((T) record)) {
                throw new IllegalStateException("hopper refused a backlog record: disk budget too small");
            }
            appended++;
        }

        @Override
        public byte[] take() {
            return (byte[]) channel.receiver().poll();
        }

        @Override
        public String takeText() {
            return (String) channel.receiver().poll();
        }

        @Override
        public String notes() {
            ChannelStats st = channel.stats();
            String blocks = compression != Compression.LZ4_BLOCKS ? ""
                    : String.format(Locale.ROOT, ", %d files rewritten in blocks", st.filesCompacted());
            String ratio = compression == Compression.NONE ? "uncompressed"
                    : String.format(Locale.ROOT, "LZ4 %.2f:1 per record", st.compressionRatio());
            return String.format(Locale.ROOT, "%.0f%% on disk, %s%s, %s",
                    100.0 * st.recordsSpilled() / Math.max(1, appended), ratio, blocks, st.storage());
        }

        @Override
        public void close() {
            channel.close();
        }
    }

    /**
     * Chronicle Queue (binary wire, default roll cycle), one appender and one tailer. Text goes
     * through its text API ({@code writeText}, {@code readText}), or, as "Chronicle Queue UTF-8",
     * as UTF-8 bytes through the same byte path as {@code byte[]} records.
     */
    private static final class ChronicleStore implements Store {
        private final boolean textApi;
        private final ChronicleQueue queue;
        private final ExcerptAppender appender;
        private final ExcerptTailer tailer;
        private final Bytes<?> in = Bytes.allocateElasticDirect(4096);
        private final Bytes<?> out = Bytes.allocateElasticDirect(4096);

        ChronicleStore(Path dir, boolean textApi) {
            this.textApi = textApi;
            queue = ChronicleQueue.singleBuilder(dir.resolve("cq")).build();
            appender = queue.createAppender();
            tailer = queue.createTailer();
        }

        @Override
        public void append(byte[] record) {
            in.clear();
            in.write(record);
            appender.writeBytes(in);
        }

        @Override
        public byte[] take() {
            out.clear();
            if (!tailer.readBytes(out)) {
                return null;
            }
            return out.toByteArray();
        }

        /** Chronicle Queue's text API: the documented way to queue a {@code String}. */
        @Override
        public void appendText(String record) throws Exception {
            if (textApi) {
                appender.writeText(record);
            } else {
                Store.super.appendText(record);
            }
        }

        @Override
        public String takeText() throws Exception {
            return textApi ? tailer.readText() : Store.super.takeText();
        }

        @Override
        public void close() {
            in.releaseLast();
            out.releaseLast();
            appender.close();
            tailer.close();
            queue.close();
        }
    }

    /** Tape's {@code QueueFile}: add, then peek and remove one record at a time. */
    private static final class TapeStore implements Store {
        private final QueueFile file;

        TapeStore(Path dir) throws IOException {
            file = new QueueFile.Builder(dir.resolve("tape").toFile()).build();
        }

        @Override
        public void append(byte[] record) throws IOException {
            file.add(record);
        }

        @Override
        public byte[] take() throws IOException {
            byte[] r = file.peek();
            if (r != null) {
                file.remove();
            }
            return r;
        }

        @Override
        public void close() throws IOException {
            file.close();
        }
    }

    /**
     * Bytes the directory occupies: allocated blocks from {@code du} where it exists (memory-mapped
     * stores pre-size sparse files, so their lengths overstate), else the sum of file lengths.
     * Element 1 is 1 when the figure is allocated blocks.
     */
    static long[] diskUsage(Path dir) throws IOException {
        try {
            Process p = new ProcessBuilder("du", "-s", "-B1", dir.toString()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            if (p.waitFor() == 0 && !out.isEmpty()) {
                return new long[] {Long.parseLong(out.split("\\s+")[0]), 1};
            }
        } catch (IOException | NumberFormatException e) {
            // no du here: fall back to lengths
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        long sum = 0;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path f : s.filter(Files::isRegularFile).toList()) {
                sum += Files.size(f);
            }
        }
        return new long[] {sum, 0};
    }

    static long heapUsed() {
        Runtime rt = Runtime.getRuntime();
        return rt.totalMemory() - rt.freeMemory();
    }

    /** Resident set size from /proc (Linux), or -1 where that is not available. */
    static long rssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    public static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
