package io.hopper;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Closes the channels still open when the JVM shuts down (SIGTERM, {@code System.exit}, the last
 * non-daemon thread ending), so that a container stop keeps the memory tier in the snapshot as
 * {@code close()} does. One JVM shutdown hook serves every channel; it is registered when the
 * first channel that wants it opens ({@link Hopper.Builder#shutdownHook(boolean)}, on by default).
 *
 * <p>At shutdown each open channel gets a thread of its own, so that one channel's slow consumer or
 * slow shutdown task does not hold up the others; the hook returns when all are done. A channel
 * first runs its shutdown tasks ({@link Channel#addShutdownTask(Runnable)}: an outlet finishing its
 * records in flight while the channel is still open), then closes: it waits at most
 * {@link #LOCK_WAIT_NANOS} for a consumer call under way to end (a sink that never returns, or a
 * consumer thread that itself called {@code System.exit}, must not hang the JVM's exit) and
 * otherwise gives up with a warning, leaving what a kill leaves.
 *
 * <p>The JVM runs its hooks concurrently and in no defined order. An application hook that closes
 * a channel itself races this one harmlessly: {@code close()} is idempotent and the second caller
 * returns once the first is done. An application that must act on a channel before it closes
 * (drain it, say) turns the hook off and closes the channel in its own hook when it is done.
 *
 * <p>Threads: {@link #register} and {@link #unregister} run on any thread (a concurrent set);
 * {@link #run} on the JVM's hook thread.
 */
final class JvmShutdown {
    private static final System.Logger LOG = System.getLogger("io.hopper");
    /** How long the hook waits for a consumer call under way before it gives a channel up. */
    static final long LOCK_WAIT_NANOS = 5_000_000_000L;

    /** Channels open with the hook on. Added by open(), removed by close(). */
    private static final Set<Channel<?>> OPEN = ConcurrentHashMap.newKeySet();
    /** Whether the JVM hook is registered; guarded by the class monitor. */
    private static boolean hookRegistered;

    private JvmShutdown() {
    }

    /** Closes {@code channel} at JVM shutdown unless it is closed before. */
    static void register(Channel<?> channel) {
        synchronized (JvmShutdown.class) {
            if (!hookRegistered) {
                try {
                    Runtime.getRuntime().addShutdownHook(new Thread(JvmShutdown::run, "hopper-shutdown"));
                } catch (IllegalStateException alreadyShuttingDown) {
                    return; // opened during shutdown: nothing will run it
                }
                hookRegistered = true;
            }
        }
        OPEN.add(channel);
    }

    /** Whether the hook would close {@code channel} (for tests). */
    static boolean registered(Channel<?> channel) {
        return OPEN.contains(channel);
    }

    /** {@code channel} closed: the hook leaves it alone. */
    static void unregister(Channel<?> channel) {
        OPEN.remove(channel);
    }

    private static void run() {
        List<Thread> closing = new ArrayList<>();
        for (Channel<?> ch : OPEN) {
            Thread t = new Thread(() -> ch.shutdown(LOCK_WAIT_NANOS), "hopper-shutdown " + ch.directory());
            t.start();
            closing.add(t);
        }
        for (Thread t : closing) {
            boolean done = false;
            while (!done) {
                try {
                    t.join();
                    done = true;
                } catch (InterruptedException e) {
                    LOG.log(Level.DEBUG, "hopper: the shutdown hook was interrupted; it goes on closing channels");
                }
            }
        }
    }
}
