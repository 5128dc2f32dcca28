package io.hopper.internal.recovery;

import io.hopper.Compression;
import io.hopper.internal.codec.RecordCodec;
import io.hopper.internal.segment.Frames;
import io.hopper.internal.segment.SegmentFormat;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code snapshot.hop} read and written through 64 KiB buffers: entries of every size, from empty
 * to several buffers long, land anywhere against the buffer's edges, and each comes back whole, in
 * order, with damage reported for exactly the entry it hit.
 */
class SnapshotFileProperties {

    /** A record's size, or -1 for a marker. */
    @Provide
    Arbitrary<List<Integer>> entries() {
        Arbitrary<Integer> entry = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(30, Arbitraries.integers().between(0, 300)),
                net.jqwik.api.Tuple.of(6, Arbitraries.integers().between(300, 40_000)),
                net.jqwik.api.Tuple.of(2, Arbitraries.integers().between(60_000, 200_000)),
                net.jqwik.api.Tuple.of(4, Arbitraries.just(-1)));
        return entry.list().ofMinSize(1).ofMaxSize(300);
    }

    private static final RecordCodec<String> CODEC = new RecordCodec<>(new StateFilesTest.Text(), Compression.NONE,
            SegmentFormat.FRAME_HEADER_BYTES);

    /** Entry {@code i}'s text: its own characters at every position, so a shifted read cannot match it. */
    private static String text(int i, int length) {
        StringBuilder b = new StringBuilder(length);
        int x = i * 7919 + 1;
        for (int k = 0; k < length; k++) {
            x = x * 1103515245 + 12345;
            b.append((char) ('a' + ((x >>> 16) % 26 + 26) % 26));
        }
        return b.toString();
    }

    /** What {@link StateFilesTest}'s replay gives for these entries: the text, or "@end" for a marker. */
    private static List<String> expected(List<Integer> entries) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            out.add(entries.get(i) < 0 ? "@" + i : text(i, entries.get(i)));
        }
        return out;
    }

    private static void write(Path dir, List<Integer> entries) throws IOException {
        try (SnapshotFile.Writer w = new SnapshotFile.Writer(dir, 0)) {
            for (int i = 0; i < entries.size(); i++) {
                if (entries.get(i) < 0) {
                    w.marker(i);
                } else {
                    w.record(CODEC.encode(text(i, entries.get(i))));
                }
            }
            w.commit();
        }
    }

    @Property(tries = 60)
    void everyEntryComesBackWholeAndInOrder(@ForAll("entries") List<Integer> entries) throws IOException {
        Path dir = Files.createTempDirectory("hopper-snapshot-");
        try {
            write(dir, entries);
            try (SnapshotFile.Reader r = SnapshotFile.open(dir)) {
                assertEquals(expected(entries), StateFilesTest.replay(r));
                assertEquals(0, r.recordsUnaccounted());
            }
        } finally {
            deleteDirectory(dir);
        }
    }

    @Property(tries = 60)
    void damageCostsExactlyTheEntryItHits(@ForAll("entries") List<Integer> entries,
                                          @ForAll @IntRange(min = 0, max = 299) int pick) throws IOException {
        int k = pick % entries.size();
        int length = entries.get(k) < 0 ? 8 : entries.get(k);
        if (length == 0) {
            return; // an empty record has no payload byte to damage
        }
        Path dir = Files.createTempDirectory("hopper-snapshot-");
        try {
            write(dir, entries);
            Path file = dir.resolve(SnapshotFile.FILE_NAME);
            long at = Frames.offset(file, SnapshotFile.HEADER, k) + SegmentFormat.FRAME_HEADER_BYTES + length / 2;
            Frames.flipByte(file, at, 0x40);
            List<String> want = expected(entries);
            want.set(k, entries.get(k) < 0 ? "!@" : "!");
            try (SnapshotFile.Reader r = SnapshotFile.open(dir)) {
                assertEquals(want, StateFilesTest.replay(r));
                assertEquals(0, r.recordsUnaccounted(), "the damaged record was reported, not lost silently");
            }
        } finally {
            deleteDirectory(dir);
        }
    }

    @Property(tries = 40)
    void theRestCopiedAfterAnyEntryIsTheSameRest(@ForAll("entries") List<Integer> entries,
                                                 @ForAll @IntRange(min = 0, max = 300) int pick) throws IOException {
        int taken = pick % (entries.size() + 1);
        Path dir = Files.createTempDirectory("hopper-snapshot-");
        try {
            write(dir, entries);
            try (SnapshotFile.Reader r = SnapshotFile.open(dir)) {
                for (int i = 0; i < taken; i++) {
                    r.next();
                }
                try (SnapshotFile.Writer w = new SnapshotFile.Writer(dir, 0)) {
                    assertEquals(0, r.copyRemainingTo(w));
                    w.commit();
                }
            }
            try (SnapshotFile.Reader r = SnapshotFile.open(dir)) {
                List<String> rest = expected(entries).subList(taken, entries.size());
                assertEquals(rest, StateFilesTest.replay(r));
            }
        } finally {
            deleteDirectory(dir);
        }
    }

    /** The directory holds at most the snapshot and an unfinished one. */
    private static void deleteDirectory(Path dir) throws IOException {
        Files.deleteIfExists(dir.resolve(SnapshotFile.FILE_NAME));
        Files.deleteIfExists(dir.resolve(SnapshotFile.TEMP_NAME));
        Files.delete(dir);
    }
}
