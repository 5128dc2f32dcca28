package io.hopper;

import io.hopper.internal.codec.KryoSerializer;
import io.hopper.internal.codec.RecordCodec;
import io.hopper.internal.codec.TypeRegistry;
import io.hopper.internal.receiver.ReceiverMachine;
import io.hopper.internal.recovery.DirectoryLock;
import io.hopper.internal.recovery.ReadCursorFile;
import io.hopper.internal.recovery.SnapshotFile;
import io.hopper.internal.ring.RingDeque;
import io.hopper.internal.segment.DiskSync;
import io.hopper.internal.segment.SegmentAppender;
import io.hopper.internal.segment.SegmentCompactor;
import io.hopper.internal.segment.SegmentCursor;
import io.hopper.internal.segment.SegmentFormat;
import io.hopper.internal.segment.SegmentLog;
import io.hopper.internal.segment.SegmentRecovery;
import io.hopper.internal.sender.SenderMachine;
import io.hopper.internal.sender.SenderState;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.function.ToLongFunction;

/**
 * How {@link Hopper.Builder#open()} makes a channel, in two steps: {@link #recover} reads what an
 * earlier run left in the directory (queue files, {@code cursor.hop}, {@code snapshot.hop}) and
 * works out where the stream stands; {@link #wire} builds the ring, the state machines and the
 * side threads from that state and the builder's settings. The caller holds the directory lock
 * and closes what was opened if either step throws.
 */
final class ChannelAssembly {
    private static final System.Logger LOG = System.getLogger("io.hopper");

    private ChannelAssembly() {
    }

    /**
     * Where the stream stands after recovery.
     *
     * @param files       what recovery found in the queue files
     * @param cursorFile  the open {@code cursor.hop}
     * @param committed   its last stored state, or null for a new directory
     * @param snapshot    the memory tier a graceful close left, or null
     * @param nextIndex   the index the next record written gets (indices never go back: the committed
     *                    state remembers the high-water mark even when every file was consumed)
     * @param nextSequence the sequence number of the next queue file
     * @param firstOnDisk the first index a queue file holds ({@code nextIndex} when none)
     * @param start       the read position: the committed one, or the first record on disk if later
     */
    record Recovered(SegmentRecovery.Result files, ReadCursorFile cursorFile, ReadCursorFile.State committed,
                     SnapshotFile.Reader snapshot, long nextIndex, long nextSequence, long firstOnDisk, long start) {

        /** Disk records announced to the receiver at open: all of them, or those before the snapshot's place. */
        long limit() {
            return snapshot == null ? nextIndex : Math.min(nextIndex, Math.max(start, snapshot.diskLimit()));
        }
    }

    /** The recovery step: repairs and lists the queue files, and reads the cursor file and the snapshot. */
    static Recovered recover(SegmentLog log, Path directory, boolean forces) throws IOException {
        SegmentRecovery.Result files = SegmentRecovery.recover(log, forces);
        ReadCursorFile cursorFile = ReadCursorFile.open(directory);
        try {
            ReadCursorFile.State committed = cursorFile.loaded();
            long nextIndex = Math.max(files.nextIndex(), committed == null ? 0 : committed.nextIndex());
            long nextSequence = Math.max(files.nextSequence(), committed == null ? 0 : committed.nextSequence());
            long firstOnDisk = files.files() > 0 ? files.firstIndex() : nextIndex;
            long start = Math.min(nextIndex, Math.max(firstOnDisk, committed == null ? 0 : committed.readIndex()));
            // A graceful close left the memory tier in a snapshot: it is replayed after the disk
            // records announced before it, and its last marker announces the rest.
            SnapshotFile.Reader snapshot = SnapshotFile.open(directory);
            return new Recovered(files, cursorFile, committed, snapshot, nextIndex, nextSequence, firstOnDisk, start);
        } catch (IOException | RuntimeException e) {
            try {
                cursorFile.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** The wiring step: the channel over the recovered state, with the builder's settings. */
    static <T> Channel<T> wire(Hopper.Builder<T> b, SegmentLog log, DirectoryLock lock, Recovered r)
            throws IOException {
        Path directory = b.directory;
        SyncPolicy syncPolicy = b.syncPolicy;
        boolean manual = b.commitMode == CommitMode.MANUAL;
        int slots = b.inMemoryRecords != 0 ? b.inMemoryRecords
                : (int) Math.max(64, Math.min(Hopper.MAX_DEFAULT_SLOTS, b.inMemoryBytes / 8));
        SegmentAppender appender = new SegmentAppender(log, r.nextSequence(), r.nextIndex(), syncPolicy.forces());
        long recoveredRecords = (r.nextIndex() - r.start()) + (r.snapshot() == null ? 0 : r.snapshot().recordCount());
        RingDeque<SenderState> ring = new RingDeque<>(slots, b.inMemoryBytes, new SenderState(appender, recoveredRecords));
        DiskSync sync = new DiskSync(log, appender, ring.backLock());
        Serializer<T> ser = b.serializer != null ? b.serializer : Serializer.kryo(b.type);
        if (ser instanceof KryoSerializer<T> kryo) {
            // Classes are named by ids this directory's registry resolves, in any later process too.
            ser = kryo.withRegistry(TypeRegistry.open(directory));
        }
        // byte[] and String records with the default serializer are stored as their own bytes.
        RecordCodec<T> codec = new RecordCodec<>(ser, b.type, b.serializer == null, b.compression,
                SegmentFormat.FRAME_HEADER_BYTES);
        ToLongFunction<? super T> weigher = b.weigher != null ? b.weigher : Hopper.Builder::defaultWeight;
        // Recovered records precede anything sent from now on: they are all announced.
        SegmentCursor cursor = new SegmentCursor(log, ring.backLock(), r.start(), manual);
        // ALWAYS: the consumer reads only forced records, so it never acts on one that a power cut
        // could take back; the force that makes them durable wakes it.
        boolean readForcedOnly = syncPolicy.kind == SyncPolicy.Kind.ALWAYS;
        if (readForcedOnly) {
            sync.onDurable(ring::signalNotEmpty);
        }
        ReceiverMachine<T> receiverMachine = new ReceiverMachine<>(ring, cursor, codec, r.limit(), directory,
                r.snapshot(), manual, r.cursorFile(), readForcedOnly ? sync::durable : () -> Long.MAX_VALUE);
        receiverMachine.spinBeforeParking(b.consumerSpinNanos);
        if (b.readAhead) {
            receiverMachine.readAhead(b.diskBytes / b.maxDiskFiles);
        }
        SenderMachine<T> senderMachine = new SenderMachine<>(ring, codec, weigher, new SenderMachine.Settings(
                log.maxFrameBytes(), directory, b.durability == Durability.WRITE_THROUGH,
                syncPolicy.forces() ? sync : null, syncPolicy.kind == SyncPolicy.Kind.ALWAYS, syncPolicy.records,
                b.overflow), receiverMachine.producerFileAccess());
        accountForMissing(r, receiverMachine, cursor, directory);
        // What is left to deliver: disk records from the committed position on (not those below it,
        // which only wait for their file to be deleted), and the snapshot's rest.
        long recordsRecovered = (r.nextIndex() - r.start()) + receiverMachine.snapshotPending();
        Channel<T> channel = new Channel<>(directory, ring, log, new Sender<>(senderMachine), receiverMachine,
                lock, r.files(), sync, syncPolicy, b.commitMode, b.durability, b.overflow, recordsRecovered);
        if (b.compression == Compression.LZ4_BLOCKS) {
            // Files an earlier run sealed are rewritten too; from now on, each file as it is sealed.
            SegmentCompactor compactor = new SegmentCompactor(log, cursor, syncPolicy.forces(),
                    ring::signalAllProducers);
            channel.compactor(compactor);
            appender.compactor(compactor);
            compactor.submitLive();
        }
        return channel;
    }

    /**
     * Resumes a snapshot whose replay was under way, and counts as lost what the cursor file says
     * should be there and is not: a snapshot that cannot be opened, and records below the first
     * queue file (files are deleted only after the position passed them, so these were removed
     * behind the channel's back, or set aside as unreadable).
     */
    private static void accountForMissing(Recovered r, ReceiverMachine<?> receiverMachine, SegmentCursor cursor,
                                          Path directory) throws IOException {
        ReadCursorFile.State committed = r.committed();
        if (committed == null) {
            return;
        }
        SnapshotFile.Reader snapshot = r.snapshot();
        if (snapshot == null) {
            receiverMachine.snapshotMissing(committed.snapshotRecords());
        } else if (snapshot.generation() != 0 && committed.snapshotGeneration() == snapshot.generation()) {
            receiverMachine.resumeSnapshot(committed.snapshotConsumed());
        }
        if (committed.readIndex() < r.firstOnDisk()) {
            long lost = r.firstOnDisk() - committed.readIndex();
            cursor.countDamage(lost);
            LOG.log(Level.WARNING, "hopper: records " + committed.readIndex() + " to " + (r.firstOnDisk() - 1)
                    + " in " + directory + " were not read and no queue file holds them; " + lost
                    + " counted as lost");
        }
    }
}
