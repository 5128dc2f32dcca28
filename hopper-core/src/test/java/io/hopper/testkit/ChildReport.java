package io.hopper.testkit;

import io.hopper.Channel;
import io.hopper.ChannelClosedException;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * What a child JVM of the kill and SIGTERM tests tells its parent, one line per event in a report
 * file of its own, each flushed at once (in the page cache, so a SIGKILL loses no line written
 * before it): {@code A p s} for a send of producer {@code p}'s record {@code s} that returned,
 * {@code R p s} for a receive, and whatever else the child adds. Records are {@code p << 32 | s}.
 */
public final class ChildReport {
    private final PrintStream out;

    public ChildReport(String file) throws IOException {
        this.out = new PrintStream(new FileOutputStream(file), false, StandardCharsets.UTF_8);
    }

    /** One line, whole. */
    public synchronized void line(String line) {
        out.println(line);
        out.flush();
    }

    public void received(long record) {
        line("R " + (record >>> 32) + " " + (record & 0xffffffffL));
    }

    /**
     * Starts {@code producers} daemon threads that send their records 0, 1, 2, ... into {@code ch}
     * and report each send that returned, until the channel closes or the process dies; each yields
     * every eighth record, to let the consumer keep up now and then.
     */
    public void startProducers(Channel<Long> ch, int producers) {
        for (int p = 0; p < producers; p++) {
            int id = p;
            Thread t = new Thread(() -> {
                try {
                    for (long seq = 0; ; seq++) {
                        ch.sender().send(((long) id << 32) | seq);
                        line("A " + id + " " + seq);
                        if ((seq & 7) == 0) {
                            Thread.yield();
                        }
                    }
                } catch (ChannelClosedException | InterruptedException e) {
                    // stopped: the channel closed under it (a SIGTERM), or the test interrupted it
                }
            }, "producer-" + p);
            t.setDaemon(true);
            t.start();
        }
    }
}
