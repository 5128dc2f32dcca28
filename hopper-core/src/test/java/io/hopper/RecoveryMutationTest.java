package io.hopper;

import io.hopper.testkit.Records;
import io.hopper.testkit.TestDirs;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Recovery against damage at rest: a directory left by a graceful close (queue files, a read
 * cursor and a memory snapshot) is copied, mutated at random (bytes flipped, runs zeroed, files
 * truncated, deleted or extended with garbage, in any of its files) and opened, 1,000 times.
 * Opening never fails; no record comes back that was not sent or that comes out of order; and,
 * wherever the read cursor survived, every record that was sent and not consumed is either
 * delivered or counted in {@link ChannelStats#recordsLost()}.
 */
class RecoveryMutationTest {
    private static final int DIRECTORIES = Integer.getInteger("hopper.mutation.dirs", 1000);
    private static final int SENT = 300;
    private static final int CONSUMED = 25;
    private static Path template;

    @BeforeAll
    static void buildTemplate() throws Exception {
        template = TestDirs.create();
        Random rnd = new Random(7);
        try (Channel<byte[]> ch = open(template)) {
            for (int i = 0; i < SENT; i++) {
                assertTrue(ch.sender().offer(Records.make(0, i, 40 + rnd.nextInt(120))));
            }
            for (int i = 0; i < CONSUMED; i++) {
                ch.receiver().poll();
            }
        }
        assertTrue(Files.exists(template.resolve("snapshot.hop")) && Files.exists(template.resolve("cursor.hop")));
    }

    static Channel<byte[]> open(Path dir) throws Exception {
        return Hopper.builder(byte[].class, dir).storage(StorageBackend.FILE_CHANNEL)
                .inMemoryBytes(40 * (16 + 160)).weigher(Records::weight)
                .diskBytes(16 * 4096).maxDiskFiles(16)
                .open();
    }

    @Test
    void damagedDirectoriesOpenAndAccountForEveryRecord() throws Exception {
        Random rnd = new Random(11);
        long totalLost = 0;
        long totalDelivered = 0;
        int fullyChecked = 0;
        for (int n = 0; n < DIRECTORIES; n++) {
            Path dir = TestDirs.create();
            try {
                List<Path> files;
                try (Stream<Path> s = Files.list(template)) {
                    files = s.filter(p -> !p.getFileName().toString().equals("hopper.lock")).sorted().toList();
                }
                for (Path f : files) {
                    Files.copy(f, dir.resolve(f.getFileName()));
                }
                String what = "";
                for (int m = 0, count = 1 + rnd.nextInt(3); m < count; m++) {
                    Path victim = dir.resolve(files.get(rnd.nextInt(files.size())).getFileName());
                    what += mutate(victim, rnd) + " " + victim.getFileName() + "; ";
                }
                if (!readable(dir.resolve("cursor.hop"), Files.readAllBytes(template.resolve("cursor.hop")))) {
                    CURSOR_DAMAGED.add(dir);
                }
                Set<Long> seen = new HashSet<>();
                long previous = -1;
                try (Channel<byte[]> ch = open(dir)) {
                    byte[] r;
                    while ((r = ch.receiver().poll()) != null) {
                        assertTrue(Records.valid(r), "garbage delivered after: " + what);
                        long seq = Records.seq(r);
                        assertTrue(seq < SENT, "never sent: " + seq + " after " + what);
                        assertTrue(seq > previous || previous >= CONSUMED && seq < CONSUMED,
                                "out of order: " + seq + " after " + previous + ", " + what);
                        previous = seq;
                        seen.add(seq);
                    }
                    long notConsumed = SENT - CONSUMED;
                    long delivered = seen.stream().filter(s -> s >= CONSUMED).count();
                    long lost = ch.stats().recordsLost();
                    // The read cursor is what remembers how far reading got (and how big the snapshot
                    // was): with it destroyed, records lost at the head cannot be counted, and the
                    // channel delivers everything still on disk again. Completeness is checked
                    // wherever the cursor survived.
                    if (cursorDamaged(dir)) {
                        continue;
                    }
                    fullyChecked++;
                    assertTrue(delivered + lost >= notConsumed, "unaccounted records: delivered " + delivered
                            + " + lost " + lost + " < " + notConsumed + " after " + what + " " + ch.stats());
                    totalLost += lost;
                    totalDelivered += delivered;
                }
            } finally {
                TestDirs.delete(dir);
            }
        }
        System.out.printf("recovery mutations: %d damaged directories opened (%d with the cursor intact, checked for"
                + " completeness), %d records delivered, %d counted lost%n", DIRECTORIES, fullyChecked, totalDelivered,
                totalLost);
        assertTrue(fullyChecked > DIRECTORIES / 2, "most directories keep their cursor");
    }

    /** Whether the mutations touched the read cursor (recorded before opening). */
    private static boolean cursorDamaged(Path dir) {
        return CURSOR_DAMAGED.contains(dir);
    }

    private static final Set<Path> CURSOR_DAMAGED = new HashSet<>();

    private static boolean readable(Path file, byte[] original) throws IOException {
        return Files.exists(file) && java.util.Arrays.equals(Files.readAllBytes(file), original);
    }

    private static String mutate(Path file, Random rnd) throws IOException {
        if (!Files.exists(file)) {
            return "(already gone)";
        }
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            long len = raf.length();
            int kind = len == 0 ? 4 : rnd.nextInt(6);
            switch (kind) {
                case 0 -> {
                    for (int i = 0, k = 1 + rnd.nextInt(6); i < k; i++) {
                        long at = (long) (rnd.nextDouble() * len);
                        raf.seek(at);
                        int b = raf.read();
                        raf.seek(at);
                        raf.write(b ^ (1 + rnd.nextInt(255)));
                    }
                    return "flipped bytes in";
                }
                case 1 -> {
                    long at = (long) (rnd.nextDouble() * len);
                    raf.seek(at);
                    raf.write(new byte[(int) Math.min(len - at, 1 + rnd.nextInt(100))]);
                    return "zeroed a run in";
                }
                case 2 -> {
                    raf.setLength((long) (rnd.nextDouble() * len));
                    return "truncated";
                }
                case 3 -> {
                    raf.close();
                    Files.delete(file);
                    return "deleted";
                }
                default -> {
                    byte[] junk = new byte[1 + rnd.nextInt(200)];
                    rnd.nextBytes(junk);
                    raf.seek(len);
                    raf.write(junk);
                    return "appended garbage to";
                }
            }
        }
    }
}
