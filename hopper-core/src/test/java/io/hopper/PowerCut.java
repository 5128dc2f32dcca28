package io.hopper;

import io.hopper.testkit.Records;
import io.hopper.testkit.TestDirs;
import io.hopper.testkit.DiskTrace;
import io.hopper.testkit.RecordingFileSystem;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * The power-cut simulation: runs a seeded workload on a channel whose directory is recorded by a
 * {@link RecordingFileSystem}, stamping each of its events (a send started, a send returned, a
 * record received, a commit returned, a graceful close returned) with the trace position, then
 * builds the disk states a power cut at any position could leave ({@link DiskTrace#stateAt}),
 * runs recovery on each and checks what docs/guarantees.md promises for the spec's policy.
 */
final class PowerCut {

    /** One channel configuration under test. */
    record Spec(StorageBackend backend, Durability durability, SyncPolicy sync, CommitMode commit) {
        @Override
        public String toString() {
            return backend + "/" + durability + "/" + sync + "/" + commit;
        }

        boolean always() {
            return sync == SyncPolicy.ALWAYS;
        }

        /** every(n): its n; 0 otherwise. */
        int every() {
            return sync.kind == SyncPolicy.Kind.EVERY ? sync.records : 0;
        }
    }

    /** What the workload sends: a record, as users model events. */
    record Reading(long id, String sensor, double value) {
    }

    /** Memory budget of the workload's channels (MEMORY_FIRST); heavy records never fit in it. */
    static final long MEMORY_BYTES = 640;
    static final long LIGHT = 100;

    static boolean heavy(long id) {
        return id % 3 == 0;
    }

    enum Kind { SENDING, ACKED, RECEIVED, COMMITTING, COMMITTED, CLOSING, CLOSED }

    /** A workload event at trace position {@code at} (the number of operations completed then). */
    record Event(Kind kind, long id, int at) {
    }

    /** One recorded run: its trace and its events. */
    record Run(Spec spec, DiskTrace trace, List<Event> events) {
    }

    static Hopper.Builder<Reading> builder(Spec spec, Path dir, DiskTrace trace) {
        Hopper.Builder<Reading> b = Hopper.builder(Reading.class, dir)
                .storage(spec.backend())
                .durability(spec.durability())
                .syncPolicy(spec.sync())
                .commitMode(spec.commit())
                .inMemoryBytes(MEMORY_BYTES)
                .diskBytes(4 * 1536)
                .maxDiskFiles(4)
                .weigher(r -> heavy(r.id()) ? 1L << 40 : LIGHT);
        if (trace != null && spec.backend() == StorageBackend.CHRONICLE_BYTES) {
            b.storageWrapper(s -> new RecordingStorage(s, trace));
        }
        return b;
    }

    /** What a workload does to the channel under test; every action is stamped into the run's events. */
    interface Workload {
        void run(Actions a) throws IOException, InterruptedException;
    }

    /** The actions a workload takes, each recorded as events at the trace position where it began and ended. */
    static final class Actions {
        private final Spec spec;
        private final Path dir;
        final DiskTrace trace;
        final List<Event> events = new ArrayList<>();
        private Channel<Reading> ch;
        private long next;

        Actions(Spec spec, Path dir, DiskTrace trace) throws IOException {
            this.spec = spec;
            this.dir = dir;
            this.trace = trace;
            this.ch = builder(spec, dir, trace).open();
        }

        Channel<Reading> channel() {
            return ch;
        }

        /** Offers the next record; whether it was accepted. */
        boolean send(Random rnd) {
            long id = next++;
            events.add(new Event(Kind.SENDING, id, trace.size()));
            if (ch.sender().offer(new Reading(id, "s" + (id % 7), rnd.nextDouble()))) {
                events.add(new Event(Kind.ACKED, id, trace.size()));
                return true;
            }
            return false;
        }

        /** Polls once; the id received, or -1. */
        long receive() {
            Reading got = ch.receiver().poll();
            if (got == null) {
                return -1;
            }
            events.add(new Event(Kind.RECEIVED, got.id(), trace.size()));
            return got.id();
        }

        void commit() {
            events.add(new Event(Kind.COMMITTING, -1, trace.size()));
            ch.receiver().commit();
            events.add(new Event(Kind.COMMITTED, -1, trace.size()));
        }

        void close() {
            events.add(new Event(Kind.CLOSING, -1, trace.size()));
            ch.close();
            events.add(new Event(Kind.CLOSED, -1, trace.size()));
        }

        void reopen() throws IOException {
            close();
            ch = builder(spec, dir, trace).open();
        }
    }

    /** Records {@code workload} on a recorded directory under {@code root}; the channel is closed at the end. */
    static Run record(Spec spec, Path root, Workload workload) throws IOException {
        Path real = Files.createDirectories(root.resolve("recorded"));
        DiskTrace trace = DiskTrace.startingFrom(real);
        Actions a = new Actions(spec, new RecordingFileSystem(real, trace).root(), trace);
        try {
            workload.run(a);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        } finally {
            a.close();
        }
        return new Run(spec, trace, a.events);
    }

    /** {@code steps} seeded actions: send 55 %, receive 33 %, commit 9 %, graceful reopen 3 %. */
    static Run record(Spec spec, long seed, int steps, Path root) throws IOException {
        Random rnd = new Random(seed);
        return record(spec, root, a -> {
            for (int i = 0; i < steps; i++) {
                int r = rnd.nextInt(100);
                if (r < 55) {
                    a.send(rnd);
                } else if (r < 88) {
                    a.receive();
                } else if (r < 97) {
                    a.commit();
                } else {
                    a.reopen();
                }
            }
        });
    }

    /** Every state a cut in {@code [from, to]} leaves under {@code loss}: null when all keep the promises, else the first failure. */
    static String sweep(Run run, int from, int to, DiskTrace.Loss loss, Path tmp) throws IOException {
        List<DiskTrace.Op> ops = run.trace().ops();
        for (int cut = from; cut <= to; cut++) {
            DiskTrace.State st = run.trace().stateAt(cut, loss, cut);
            Path d = tmp.resolve("sweep-" + cut);
            st.writeTo(d);
            Outcome out = recover(run.spec(), d);
            TestDirs.delete(d);
            String broken = check(run, cut, out);
            if (broken != null) {
                return broken + "\n" + st.describe(ops);
            }
        }
        return null;
    }

    /** What recovery delivered from one disk state: the ids in order, or the error it threw. */
    record Outcome(List<Long> ids, Throwable error) {
    }

    /** Opens a channel on {@code dir} (a materialized state), takes everything it delivers, closes it. */
    static Outcome recover(Spec spec, Path dir) {
        List<Long> ids = new ArrayList<>();
        try (Channel<Reading> ch = builder(spec, dir, null).open()) {
            for (Reading r = ch.receiver().poll(); r != null; r = ch.receiver().poll()) {
                ids.add(r.id());
            }
            return new Outcome(ids, null);
        } catch (Throwable t) {
            return new Outcome(ids, t);
        }
    }

    /**
     * The promises a state at cut {@code cut} must keep, from the events before it; null when they
     * are kept, else what was broken.
     */
    static String check(Run run, int cut, Outcome out) {
        Spec spec = run.spec();
        if (out.error() != null) {
            return "recovery threw " + out.error();
        }
        Set<Long> sending = new HashSet<>();
        Set<Long> acked = new HashSet<>();
        Set<Long> received = new HashSet<>();
        Map<Long, Integer> ackedAt = new HashMap<>();
        long committedThrough = -1; // ids up to this were consumed by a commit that returned before the cut
        long mayBeCommittedThrough = -1; // ... by a commit that had begun before the cut
        long lastReceived = -1; // delivery is in id order within one open; a reopen may deliver again
        Set<Long> durableByClose = new HashSet<>();
        for (Event e : run.events()) {
            if (e.at() > cut) {
                break;
            }
            switch (e.kind()) {
                case SENDING -> sending.add(e.id());
                case ACKED -> {
                    acked.add(e.id());
                    ackedAt.put(e.id(), e.at());
                }
                case RECEIVED -> {
                    received.add(e.id());
                    lastReceived = e.id();
                }
                case COMMITTING -> mayBeCommittedThrough = Math.max(mayBeCommittedThrough, lastReceived);
                case COMMITTED -> committedThrough = Math.max(committedThrough, lastReceived);
                case CLOSING -> {
                    if (spec.commit() == CommitMode.AUTO) {
                        mayBeCommittedThrough = Math.max(mayBeCommittedThrough, lastReceived);
                    }
                }
                case CLOSED -> {
                    if (spec.commit() == CommitMode.AUTO) {
                        committedThrough = Math.max(committedThrough, lastReceived); // close records the position, forced
                    } else {
                        lastReceived = committedThrough; // the next open resumes at the last commit
                    }
                    if (spec.sync() != SyncPolicy.NONE) {
                        durableByClose.addAll(acked); // the close forced the disk tier and the snapshot
                    }
                }
            }
        }
        List<Long> ids = out.ids();
        Set<Long> seen = new HashSet<>();
        long prev = -1;
        for (long id : ids) {
            if (!sending.contains(id)) {
                return "delivered record " + id + ", which was never sent before the cut";
            }
            if (!seen.add(id)) {
                return "delivered record " + id + " twice";
            }
            if (id < prev) {
                return "delivered record " + id + " after record " + prev + ": out of order";
            }
            prev = id;
            if (id <= committedThrough) {
                return "delivered record " + id + " again although a commit of every record up to " + committedThrough
                        + " had returned: the commit moved back";
            }
        }
        // What must still be there: acknowledged and not consumed. MANUAL: consumed means committed;
        // AUTO: received (its position may have been stored on its own since).
        List<Long> missing = new ArrayList<>();
        int missingForced = 0;
        for (long id : acked) {
            boolean onDisk = spec.durability() == Durability.WRITE_THROUGH || heavy(id);
            // A record that may have stayed in memory is delivered once, whatever the commit mode.
            boolean consumed = spec.commit() == CommitMode.MANUAL && onDisk ? id <= mayBeCommittedThrough
                                                                             : received.contains(id);
            if (consumed || seen.contains(id)) {
                continue;
            }
            if (durableByClose.contains(id) || (spec.always() && onDisk)) {
                return "acknowledged record " + id + " (its send returned at operation " + ackedAt.get(id)
                        + ") is missing" + (spec.always() ? " under ALWAYS" : " after a graceful close");
            }
            missing.add(id);
            if (onDisk && spec.durability() == Durability.WRITE_THROUGH) {
                missingForced++;
            }
        }
        if (spec.every() > 0 && missingForced >= spec.every()) {
            return missingForced + " acknowledged records are missing under " + spec.sync() + ": " + missing;
        }
        if (spec.always() && spec.commit() == CommitMode.MANUAL) {
            // Visibility: a record the consumer saw (and did not commit) must survive the cut.
            for (long id : received) {
                boolean onDisk = spec.durability() == Durability.WRITE_THROUGH || heavy(id);
                if (onDisk && id > mayBeCommittedThrough && !seen.contains(id)) {
                    return "record " + id + " was received before the cut but is gone after it: the consumer saw"
                            + " a record that was not yet forced";
                }
            }
        }
        return null;
    }
}
