package io.hopper;

import io.hopper.testkit.TestDirs;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Graceful restart against a model: random sends, receives, commits and close/reopen cycles
 * (with budgets that may change at each reopen); the channel and an {@link ArrayDeque} must
 * agree on exactly which records remain and in what order.
 */
class RestartProperties {

    sealed interface Action permits Send, Receive, Commit, Reopen {
    }

    record Send(int count) implements Action {
    }

    record Receive(int count) implements Action {
    }

    record Commit() implements Action {
    }

    /** Close, then open again with these budgets. */
    record Reopen(long memBytes, int files) implements Action {
    }

    @Provide
    Arbitrary<List<Action>> actions() {
        Arbitrary<Action> send = Arbitraries.integers().between(1, 80).map(Send::new);
        Arbitrary<Action> receive = Arbitraries.integers().between(1, 80).map(Receive::new);
        Arbitrary<Action> commit = Arbitraries.just(new Commit());
        Arbitrary<Action> reopen = Combinators.combine(Arbitraries.longs().between(0, 800),
                Arbitraries.integers().between(2, 16)).as(Reopen::new);
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(5, send), net.jqwik.api.Tuple.of(4, receive),
                net.jqwik.api.Tuple.of(1, commit), net.jqwik.api.Tuple.of(2, reopen))
                .list().ofMinSize(1).ofMaxSize(40);
    }

    private static Channel<Long> open(Path dir, StorageBackend storage, Compression compression, long mem, int files)
            throws Exception {
        return Hopper.builder(Long.class, dir).storage(storage).compression(compression)
                .inMemoryBytes(mem).weigher(x -> 8)
                .diskBytes(files * 2048L).maxDiskFiles(files)
                .open();
    }

    /**
     * Found by the property (shrunk): every queue file was consumed and deleted before a reopen,
     * and the disk index restarted at 0 while the snapshot and cursor still referred to 1.
     */
    @net.jqwik.api.Example
    void indicesDoNotGoBackWhenEveryQueueFileWasConsumed() throws Exception {
        channelAndModelAgreeAcrossGracefulRestarts(List.of(
                new Send(9), new Receive(1), new Send(1), new Reopen(0, 2), new Receive(8),
                new Reopen(0, 2), new Send(1), new Send(1), new Send(1), new Reopen(0, 2), new Receive(2)),
                StorageBackend.FILE_CHANNEL, Compression.LZ4);
    }

    @Property
    void channelAndModelAgreeAcrossGracefulRestarts(@ForAll("actions") List<Action> actions,
                                                    @ForAll StorageBackend storage,
                                                    @ForAll Compression compression) throws Exception {
        if (storage == StorageBackend.AUTO) {
            storage = StorageBackend.FILE_CHANNEL;
        }
        Path dir = TestDirs.create();
        ArrayDeque<Long> model = new ArrayDeque<>();
        long next = 0;
        Channel<Long> ch = open(dir, storage, compression, 64, 8);
        try {
            for (Action a : actions) {
                if (a instanceof Send s) {
                    for (int i = 0; i < s.count(); i++) {
                        if (ch.sender().offer(next)) {
                            model.add(next);
                            next++;
                        }
                    }
                } else if (a instanceof Receive r) {
                    for (int i = 0; i < r.count(); i++) {
                        assertEquals(model.poll(), ch.receiver().poll(), "after " + a);
                    }
                } else if (a instanceof Commit) {
                    ch.receiver().commit();
                } else if (a instanceof Reopen ro) {
                    ch.close();
                    ch = open(dir, storage, compression, ro.memBytes(), ro.files());
                }
            }
            Long v;
            while ((v = ch.receiver().poll()) != null) {
                assertEquals(model.poll(), v);
            }
            assertNull(model.poll(), "the channel lost records the model still has");
        } finally {
            ch.close();
            TestDirs.delete(dir);
        }
    }
}
