package io.hopper.bench;

import io.hopper.Channel;
import io.hopper.ChannelStats;
import io.hopper.Compression;
import io.hopper.Hopper;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * How many records a disk budget holds: the quick comparison's 150 B log lines are offered to a
 * channel with no memory tier and no consumer until one is refused; with {@code LZ4_BLOCKS}, once
 * every file but the next to be read is rewritten, offers go on, round after round, until a round
 * adds nothing. For each compression and file count; every record is then received and checked.
 *
 * <pre>java -cp hopper-bench.jar io.hopper.bench.BudgetFill [budget MiB=64]</pre>
 */
public final class BudgetFill {
    private BudgetFill() {
    }

    /** What one budget held. */
    record Result(Compression compression, int files, long records, ChannelStats stats) {
        double bytesPerRecord() {
            return (double) stats.bytesOnDisk() / records;
        }
    }

    static Result fill(Path dir, long budgetBytes, int files, Compression compression, byte[][] lines) throws Exception {
        try (Channel<byte[]> ch = Hopper.builder(byte[].class, dir).inMemoryBytes(0).diskBytes(budgetBytes)
                .maxDiskFiles(files).compression(compression).open()) {
            long n = 0;
            for (;;) { // until a round of offers adds nothing
                long before = n;
                while (ch.sender().offer(lines[(int) (n % lines.length)])) {
                    n++;
                }
                if (compression != Compression.LZ4_BLOCKS || n == before) {
                    break;
                }
                // The refused offer sealed the last file: wait until every file but the head is rewritten.
                while (ch.stats().filesCompacted() < ch.stats().diskFiles() - 1) {
                    Thread.sleep(5);
                }
            }
            ChannelStats full = ch.stats();
            for (long i = 0; i < n; i++) {
                byte[] r = ch.receiver().poll();
                byte[] want = lines[(int) (i % lines.length)];
                if (r == null || r.length != want.length || r[r.length - 1] != want[want.length - 1]) {
                    throw new IllegalStateException(compression + ": wrong record at " + i);
                }
            }
            return new Result(compression, files, n, full);
        } finally {
            Backlog.deleteTree(dir);
        }
    }

    public static void main(String[] args) throws Exception {
        long budget = (args.length > 0 ? Long.parseLong(args[0]) : 64) << 20;
        byte[][] lines = Workload.lines(4096, Main.SMALL_RECORD_BYTES);
        Path base = Files.createTempDirectory("hopper-budget-");
        try {
            for (Compression c : new Compression[] {Compression.LZ4, Compression.LZ4_BLOCKS}) {
                for (int files : new int[] {16, 64}) {
                    Result r = fill(base.resolve(c + "-" + files), budget, files, c, lines);
                    System.out.printf(Locale.ROOT, "%-10s %3d files: %,11d records of %d B in %d MiB, %5.1f B per record,"
                                    + " %d files live, %d rewritten%n", c, files, r.records(), Main.SMALL_RECORD_BYTES,
                            budget >> 20, r.bytesPerRecord(), r.stats().diskFiles(), r.stats().filesCompacted());
                }
            }
        } finally {
            Backlog.deleteTree(base);
        }
    }
}
