package io.hopper;

import io.hopper.testkit.ChildJvm;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Commit modes under a crash: a consumer that hands records to asynchronous work commits only the
 * acknowledged prefix, and after the process dies exactly the records after that commit come again.
 */
class CommitModeTest {

    @TempDir
    Path dir;

    static final int SENT = 3000;
    static final int COMMITTED = 400;

    /** Child: sends, receives everything (over more than the auto-commit second), commits 400, dies. */
    public static void main(String[] args) throws Exception {
        Path d = Path.of(args[0]);
        CommitMode mode = CommitMode.valueOf(args[1]);
        Channel<Long> ch = Hopper.builder(Long.class, d).durability(Durability.WRITE_THROUGH)
                .diskBytes(64 * 4096).maxDiskFiles(8).commitMode(mode).open();
        for (long i = 0; i < SENT; i++) {
            ch.sender().send(i);
        }
        long acknowledged = -1;
        for (int i = 0; i < SENT; i++) {
            long v = ch.receiver().receive();
            if (v != i) {
                throw new AssertionError("got " + v + " at " + i);
            }
            if (i == COMMITTED - 1) {
                acknowledged = ch.receiver().position(); // the client acknowledged records 0..399
            }
            if (i == SENT / 2) {
                Thread.sleep(1100); // past the auto-commit interval, with records still in flight
            }
        }
        ch.receiver().commit(acknowledged);
        System.out.println("files deleted " + ch.stats().filesDeleted());
        Runtime.getRuntime().halt(0); // as kill -9: no close, no shutdown hooks
    }

    private long firstAfterCrash(CommitMode mode) throws Exception {
        Path d = dir.resolve(mode.name());
        ChildJvm.Result r = ChildJvm.run(CommitModeTest.class, ChildJvm.chronicleFlags(), d.toString(), mode.name());
        assertEquals(0, r.exitCode(), r.output());
        try (Channel<Long> ch = Hopper.builder(Long.class, d).durability(Durability.WRITE_THROUGH)
                .diskBytes(64 * 4096).maxDiskFiles(8).commitMode(mode).open()) {
            List<Long> got = new ArrayList<>();
            for (Long v = ch.receiver().poll(); v != null; v = ch.receiver().poll()) {
                got.add(v);
            }
            assertEquals(0, ch.stats().recordsLost(), ch.stats().toString());
            long first = got.isEmpty() ? SENT : got.get(0);
            for (int i = 0; i < got.size(); i++) {
                assertEquals(first + i, got.get(i), "in order, nothing missing");
            }
            assertEquals(SENT, first + got.size(), "everything up to the last record");
            return first;
        }
    }

    @Test
    void manualRedeliversExactlyTheRecordsAfterTheLastCommitAfterAKill() throws Exception {
        assertEquals(COMMITTED, firstAfterCrash(CommitMode.MANUAL));
    }

    @Test
    void autoMovesThePositionOnItsOwnSoRecordsInFlightAreNotRedelivered() throws Exception {
        assertTrue(firstAfterCrash(CommitMode.AUTO) > COMMITTED, "AUTO committed past the in-flight records itself");
    }

    @ParameterizedTest
    @EnumSource(value = StorageBackend.class, names = {"FILE_CHANNEL", "CHRONICLE_BYTES"})
    void manualKeepsReadFilesInTheBudgetUntilACommitPassesThem(StorageBackend storage) throws Exception {
        try (Channel<Long> ch = Hopper.builder(Long.class, dir.resolve("budget")).storage(storage).inMemoryBytes(0)
                .diskBytes(2 * 4096).maxDiskFiles(2).commitMode(CommitMode.MANUAL).open()) {
            int n = 0;
            while (ch.sender().offer((long) n)) {
                n++;
            }
            for (int i = 0; i < n; i++) {
                assertEquals(i, ch.receiver().poll());
            }
            assertEquals(2, ch.stats().diskFiles(), "read, but not committed: still there");
            assertTrue(!ch.sender().offer(-1L), "and still counted against the budget");
            assertThrows(IllegalArgumentException.class, () -> ch.receiver().commit(ch.receiver().position() + 1),
                    "a position past what was received");
            ch.receiver().commit();
            assertTrue(ch.stats().diskFiles() <= 1, "the commit released the read files: " + ch.stats());
            assertTrue(ch.sender().offer(-1L));
            assertEquals(-1L, ch.receiver().poll());
            long before = ch.receiver().position();
            ch.receiver().commit(0); // behind the last commit: nothing moves back
            assertEquals(before, ch.receiver().position());
        }
    }
}
