package io.hopper;

import io.hopper.testkit.TestDirs;
import io.hopper.testkit.DiskTrace;
import io.hopper.testkit.RecordingFileSystem;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Simulated power cuts (see {@link DiskTrace} for the model): every state a cut at any point of a
 * recorded run can leave, recovered and checked against the failure table in docs/guarantees.md, for every
 * back end, durability, sync policy and commit mode.
 *
 * <p>Scale: {@code -Dhopper.powercut.steps} (actions per recorded run, default 120) and
 * {@code -Dhopper.powercut.random} (random states per cut point, default 1); the {@code stress}
 * profile raises both.
 */
class PowerLossSimulationTest {
    static final int STEPS = Integer.getInteger("hopper.powercut.steps", 120);
    static final int RANDOM_PER_CUT = Integer.getInteger("hopper.powercut.random", 1);
    /** States checked by the sweep in this JVM, and distinct directories recovered for them. */
    static final AtomicLong STATES = new AtomicLong();
    static final AtomicLong RECOVERED = new AtomicLong();
    /**
     * The interval policy's period: short, so that its timer forces in the middle of a recorded run.
     * The simulation has no clock, so for it the check is the one every policy gets (what a graceful
     * close forced is there; order, no duplicates, commits kept); how soon the timer forces is
     * {@code SyncPolicyTest}'s.
     */
    static final java.time.Duration INTERVAL = java.time.Duration.ofMillis(2);
    /** First crash states per spec whose own recovery is then cut at every operation. */
    static final int RECOVERY_SAMPLES = Integer.getInteger("hopper.powercut.recoveries", 12);

    static Stream<PowerCut.Spec> specs() {
        List<PowerCut.Spec> l = new ArrayList<>();
        for (StorageBackend b : List.of(StorageBackend.FILE_CHANNEL, StorageBackend.CHRONICLE_BYTES)) {
            for (Durability d : Durability.values()) {
                for (SyncPolicy s : List.of(SyncPolicy.ALWAYS, SyncPolicy.every(3), SyncPolicy.interval(INTERVAL),
                        SyncPolicy.NONE)) {
                    for (CommitMode c : CommitMode.values()) {
                        l.add(new PowerCut.Spec(b, d, s, c));
                    }
                }
            }
        }
        return l.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void everyPowerCutKeepsThePromises(PowerCut.Spec spec, @TempDir Path tmp) throws IOException {
        PowerCut.Run run = PowerCut.record(spec, spec.toString().hashCode(), STEPS, tmp);
        List<DiskTrace.Op> ops = run.trace().ops();
        Map<String, PowerCut.Outcome> byContent = new HashMap<>();
        int states = 0;
        for (int cut = run.trace().baseline(); cut <= ops.size(); cut++) {
            List<DiskTrace.State> candidates = new ArrayList<>();
            candidates.add(run.trace().stateAt(cut, DiskTrace.Loss.ALL_PENDING_LOST, 0));
            candidates.add(run.trace().stateAt(cut, DiskTrace.Loss.NAMES_KEPT_DATA_LOST, 0));
            candidates.add(run.trace().stateAt(cut, DiskTrace.Loss.NOTHING_LOST, 0));
            for (int r = 0; r < RANDOM_PER_CUT; r++) {
                candidates.add(run.trace().stateAt(cut, DiskTrace.Loss.RANDOM, cut * 1_000L + r));
            }
            for (DiskTrace.State st : candidates) {
                PowerCut.Outcome out = recoverOnce(spec, st, byContent, tmp);
                states++;
                String broken = PowerCut.check(run, cut, out);
                if (broken != null) {
                    fail(spec + ": " + broken + "\n" + st.describe(ops) + "\nevents: " + run.events(),
                            out.error());
                }
            }
        }
        STATES.addAndGet(states);
        RECOVERED.addAndGet(byContent.size());
        System.out.println("power-cut simulation " + spec + ": " + ops.size() + " operations, " + states
                + " states checked, " + byContent.size() + " distinct directories recovered (total so far "
                + STATES.get() + " states, " + RECOVERED.get() + " recovered)");
    }

    static Stream<PowerCut.Spec> recoverySpecs() {
        List<PowerCut.Spec> l = new ArrayList<>();
        for (StorageBackend b : List.of(StorageBackend.FILE_CHANNEL, StorageBackend.CHRONICLE_BYTES)) {
            l.add(new PowerCut.Spec(b, Durability.WRITE_THROUGH, SyncPolicy.ALWAYS, CommitMode.MANUAL));
            l.add(new PowerCut.Spec(b, Durability.MEMORY_FIRST, SyncPolicy.every(3), CommitMode.AUTO));
            l.add(new PowerCut.Spec(b, Durability.WRITE_THROUGH, SyncPolicy.NONE, CommitMode.AUTO));
        }
        return l.stream();
    }

    /**
     * A second power cut, during the recovery of the first: recovery is idempotent. First crash
     * states (randomly torn, so that recovery has tails to cut, snapshots to replay, damaged files
     * to set aside) are recovered once without interruption, which says what they hold; then their
     * recovery (an open and a close) is recorded, cut after each of its operations, and every state
     * that leaves must recover to exactly the same records in the same order.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("recoverySpecs")
    void aPowerCutDuringRecoveryChangesNothingItDelivers(PowerCut.Spec spec, @TempDir Path tmp) throws IOException {
        PowerCut.Run run = PowerCut.record(spec, spec.toString().hashCode() + 1L, STEPS, tmp);
        int from = run.trace().baseline();
        int to = run.trace().size();
        int stride = Math.max(1, (to - from) / RECOVERY_SAMPLES);
        Map<String, PowerCut.Outcome> byContent = new HashMap<>();
        int states = 0;
        for (int cut = from + stride; cut <= to; cut += stride) {
            DiskTrace.State first = run.trace().stateAt(cut, DiskTrace.Loss.RANDOM, cut);
            Path plain = tmp.resolve("plain-" + cut);
            first.writeTo(plain);
            PowerCut.Outcome expected = PowerCut.recover(spec, plain);
            TestDirs.delete(plain);
            assertNull(expected.error(), () -> "recovering " + first.describe(run.trace().ops()));

            Path real = tmp.resolve("recovering-" + cut);
            first.writeTo(real);
            DiskTrace trace = DiskTrace.startingFrom(real);
            PowerCut.builder(spec, new RecordingFileSystem(real, trace).root(), trace).open().close();
            List<DiskTrace.Op> ops = trace.ops();
            for (int cut2 = trace.baseline(); cut2 <= ops.size(); cut2++) {
                for (DiskTrace.Loss loss : List.of(DiskTrace.Loss.ALL_PENDING_LOST, DiskTrace.Loss.RANDOM,
                        DiskTrace.Loss.NOTHING_LOST)) {
                    DiskTrace.State second = trace.stateAt(cut2, loss, cut2);
                    PowerCut.Outcome out = recoverOnce(spec, second, byContent, tmp);
                    states++;
                    if (out.error() != null || !out.ids().equals(expected.ids())) {
                        fail(spec + ": a power cut during recovery changed what is delivered: " + expected.ids()
                                + " without it, " + out.ids() + " with it\nfirst cut: "
                                + first.describe(run.trace().ops()) + "\nsecond cut, during recovery: "
                                + second.describe(ops), out.error());
                    }
                }
            }
            TestDirs.delete(real);
        }
        STATES.addAndGet(states);
        RECOVERED.addAndGet(byContent.size());
        System.out.println("power cut during recovery " + spec + ": " + states + " states checked, "
                + byContent.size() + " distinct directories recovered (total so far " + STATES.get() + " states)");
    }

    // ---- the three findings of the power-loss issue, each a state the simulation builds ------------

    /**
     * Finding 1: a new queue file is created, written and forced, and the sends into it return
     * under ALWAYS; if its directory entry was never forced, a power cut removes the file with
     * every acknowledged record in it.
     */
    @ParameterizedTest
    @EnumSource(value = StorageBackend.class, names = {"FILE_CHANNEL", "CHRONICLE_BYTES"})
    void aNewQueueFileIsAsDurableAsTheRecordsAcknowledgedInIt(StorageBackend backend, @TempDir Path tmp)
            throws IOException {
        PowerCut.Spec spec = new PowerCut.Spec(backend, Durability.WRITE_THROUGH, SyncPolicy.ALWAYS, CommitMode.MANUAL);
        java.util.Random rnd = new java.util.Random(1);
        PowerCut.Run run = PowerCut.record(spec, tmp, a -> {
            for (int round = 0; round < 4; round++) { // several files: each new one must be named durably
                for (int i = 0; i < 30; i++) {
                    assertTrue(a.send(rnd));
                }
                for (int i = 0; i < 30; i++) {
                    assertTrue(a.receive() >= 0);
                }
                a.commit(); // room for the next round
            }
        });
        int end = run.events().get(run.events().size() - 1).at();
        assertNull(PowerCut.sweep(run, run.trace().baseline(), end, DiskTrace.Loss.ALL_PENDING_LOST, tmp));
        // Batched: one directory force per new queue file, not one per acknowledged record. The
        // others: types.hop's creation, cursor.hop's, the recovery at open and the close's snapshot.
        List<DiskTrace.Op> ops = run.trace().ops().subList(run.trace().baseline(), end);
        long queueFiles = ops.stream().filter(o -> o instanceof DiskTrace.Op.Create c
                && c.name().startsWith("segment-")).count();
        long directoryForces = ops.stream().filter(o -> o instanceof DiskTrace.Op.DirSync).count();
        assertTrue(queueFiles >= 3, "the workload fills several queue files: " + queueFiles);
        assertTrue(directoryForces <= queueFiles + 4, directoryForces + " directory forces for " + queueFiles
                + " queue files and 120 acknowledged sends");
    }

    /**
     * Finding 2: under AUTO, the automatic store before a file deletion (unforced) must never
     * replace the position a {@code commit()} forced with one a power cut can leave unreadable.
     * Swept with every name operation kept and every unforced byte lost.
     */
    @ParameterizedTest
    @EnumSource(value = StorageBackend.class, names = {"FILE_CHANNEL", "CHRONICLE_BYTES"})
    void anAutomaticStoreNeverUndoesACommit(StorageBackend backend, @TempDir Path tmp) throws IOException {
        PowerCut.Spec spec = new PowerCut.Spec(backend, Durability.WRITE_THROUGH, SyncPolicy.NONE, CommitMode.AUTO);
        java.util.Random rnd = new java.util.Random(2);
        int[] committedAt = new int[1];
        PowerCut.Run run = PowerCut.record(spec, tmp, a -> {
            for (int i = 0; i < 60; i++) {
                assertTrue(a.send(rnd));
            }
            for (int i = 0; i < 5; i++) {
                assertTrue(a.receive() >= 0);
            }
            a.commit();
            committedAt[0] = a.trace.size();
            for (int i = 0; i < 40; i++) { // through several files: each deletion stores the position first
                assertTrue(a.receive() >= 0);
            }
        });
        int end = run.events().get(run.events().size() - 1).at();
        assertTrue(run.trace().ops().subList(committedAt[0], end).stream().anyMatch(o -> o instanceof DiskTrace.Op.Delete),
                "the workload deletes queue files after the commit");
        assertNull(PowerCut.sweep(run, committedAt[0], end, DiskTrace.Loss.NAMES_KEPT_DATA_LOST, tmp));
        assertNull(PowerCut.sweep(run, committedAt[0], end, DiskTrace.Loss.RANDOM, tmp));
    }

    /**
     * Finding 3: under ALWAYS the consumer must not receive a disk record before the force that
     * covers it has returned; the force is held open here while the consumer looks, and the state
     * a power cut would leave at that moment is shown not to hold the record.
     */
    @ParameterizedTest
    @EnumSource(value = StorageBackend.class, names = {"FILE_CHANNEL", "CHRONICLE_BYTES"})
    void theConsumerNeverSeesARecordThatAPowerCutCouldTakeBack(StorageBackend backend, @TempDir Path tmp)
            throws Exception {
        PowerCut.Spec spec = new PowerCut.Spec(backend, Durability.WRITE_THROUGH, SyncPolicy.ALWAYS, CommitMode.MANUAL);
        Path real = java.nio.file.Files.createDirectories(tmp.resolve("recorded"));
        DiskTrace trace = DiskTrace.startingFrom(real);
        Path dir = new RecordingFileSystem(real, trace).root();
        try (Channel<PowerCut.Reading> ch = PowerCut.builder(spec, dir, trace).open()) {
            ch.sender().send(new PowerCut.Reading(0, "s", 0));
            assertEquals(0, ch.receiver().poll(5, TimeUnit.SECONDS).id());
            CountDownLatch release = new CountDownLatch(1);
            CountDownLatch forcing = new CountDownLatch(1);
            trace.holdForces(release, forcing::countDown);
            Thread producer = new Thread(() -> {
                try {
                    ch.sender().send(new PowerCut.Reading(1, "s", 1));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            producer.start();
            PowerCut.Reading early;
            PowerCut.Outcome out;
            try {
                assertTrue(forcing.await(10, TimeUnit.SECONDS), "the send reached its force");
                early = ch.receiver().poll(200, TimeUnit.MILLISECONDS);
                DiskTrace.State cut = trace.stateAt(trace.size(), DiskTrace.Loss.ALL_PENDING_LOST, 0);
                Path d = tmp.resolve("cut");
                cut.writeTo(d);
                out = PowerCut.recover(spec, d);
            } finally {
                trace.holdForces(null, () -> { }); // whatever failed, the held force must end before close
                release.countDown();
                producer.join(10_000);
            }
            assertNull(early, "record 1 was received before it was forced");
            assertNull(out.error());
            assertEquals(List.of(0L), out.ids(), "a power cut now takes record 1 back, and keeps record 0");
            assertEquals(1, ch.receiver().poll(5, TimeUnit.SECONDS).id(), "received once forced");
        }
    }

    /**
     * Recovers {@code st}, once per distinct directory: many cuts and loss modes leave the same
     * files, and recovery depends on nothing else. Keyed by a SHA-256 of the names and contents,
     * so two different directories never share an outcome.
     */
    private static PowerCut.Outcome recoverOnce(PowerCut.Spec spec, DiskTrace.State st,
                                                Map<String, PowerCut.Outcome> byContent, Path tmp) throws IOException {
        String key = contentKey(st);
        PowerCut.Outcome out = byContent.get(key);
        if (out == null) {
            Path dir = tmp.resolve("state-" + byContent.size());
            st.writeTo(dir);
            out = PowerCut.recover(spec, dir);
            TestDirs.delete(dir);
            byContent.put(key, out);
        }
        return out;
    }

    private static String contentKey(DiskTrace.State st) {
        java.security.MessageDigest sha;
        try {
            sha = java.security.MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
        for (var e : st.files().entrySet()) { // sorted by name
            sha.update(e.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sha.update(java.nio.ByteBuffer.allocate(4).putInt(e.getValue().length).array());
            sha.update(e.getValue());
        }
        return java.util.HexFormat.of().formatHex(sha.digest());
    }
}
