package io.hopper.cli;

import io.hopper.Channel;
import io.hopper.Hopper;
import io.hopper.StorageBackend;

import java.nio.file.Path;

/** A child process that opens a channel directory, says "ready", and holds it until it is killed. */
public final class HoldChannel {
    private HoldChannel() {
    }

    public static void main(String[] args) throws Exception {
        try (Channel<String> ch = Hopper.builder(String.class, Path.of(args[0])).storage(StorageBackend.FILE_CHANNEL)
                .open()) {
            System.out.print(ch.isClosed() ? "closed" : "ready");
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
        }
    }
}
