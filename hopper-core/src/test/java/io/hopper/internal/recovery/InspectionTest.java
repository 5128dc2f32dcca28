package io.hopper.internal.recovery;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The read-only views an inspection tool uses: they report, and never write, remove or repair. */
class InspectionTest {

    @TempDir
    Path dir;

    @Test
    void aLockIsSeenWithoutTakingIt() throws Exception {
        assertFalse(DirectoryLock.heldElsewhere(dir), "no lock file yet");
        assertFalse(Files.exists(dir.resolve(DirectoryLock.FILE_NAME)), "looking created nothing");
        DirectoryLock lock = DirectoryLock.acquire(dir);
        assertTrue(DirectoryLock.heldElsewhere(dir));
        lock.close();
        assertFalse(DirectoryLock.heldElsewhere(dir), "released");
        DirectoryLock again = DirectoryLock.acquire(dir);
        assertTrue(DirectoryLock.heldElsewhere(dir), "looking did not release the lock");
        assertTrue(DirectoryLock.heldElsewhere(dir), "nor did looking twice");
        again.close();
    }

    @Test
    void theCursorIsInspectedAsItIsAndLeftAlone() throws Exception {
        assertFalse(ReadCursorFile.inspect(dir).present());
        try (ReadCursorFile f = ReadCursorFile.open(dir)) {
            f.store(new ReadCursorFile.State(7, 9, 2, 0), true);
            f.store(new ReadCursorFile.State(8, 9, 2, 0), true);
        }
        Files.writeString(dir.resolve(ReadCursorFile.TEMP_NAME), "leftover");
        ReadCursorFile.Inspection i = ReadCursorFile.inspect(dir);
        assertEquals(2, i.version());
        assertEquals(2, i.intactSlots());
        assertEquals(8, i.state().readIndex());
        assertTrue(Files.exists(dir.resolve(ReadCursorFile.TEMP_NAME)), "the leftover is not removed");
        try (RandomAccessFile f = new RandomAccessFile(dir.resolve(ReadCursorFile.FILE_NAME).toFile(), "rw")) {
            f.seek(30);
            f.write(0x55);
            f.seek(ReadCursorFile.SLOT_STRIDE + 30);
            f.write(0x55);
        }
        byte[] damaged = Files.readAllBytes(dir.resolve(ReadCursorFile.FILE_NAME));
        i = ReadCursorFile.inspect(dir);
        assertTrue(i.present());
        assertEquals(0, i.intactSlots());
        assertNull(i.state());
        assertEquals(java.util.Arrays.toString(damaged),
                java.util.Arrays.toString(Files.readAllBytes(dir.resolve(ReadCursorFile.FILE_NAME))), "not repaired");
    }

    @Test
    void aDamagedSnapshotHeaderIsReportedAndNotMovedAside() throws Exception {
        assertNull(SnapshotFile.inspect(dir));
        Files.write(dir.resolve(SnapshotFile.FILE_NAME), new byte[100]);
        SnapshotFile.Header h = SnapshotFile.inspect(dir);
        assertFalse(h.intact());
        assertEquals(100, h.bytes());
        assertTrue(Files.exists(dir.resolve(SnapshotFile.FILE_NAME)), "left where it is");
        assertFalse(Files.exists(dir.resolve(SnapshotFile.FILE_NAME + ".corrupt")));
    }
}
