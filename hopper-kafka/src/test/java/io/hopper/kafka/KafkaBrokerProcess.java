package io.hopper.kafka;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The main class of the child JVM that {@link LocalKafkaBroker} starts: formats the storage
 * directory on first start, then runs a combined broker and controller (KRaft) until SIGTERM.
 *
 * <p>It exits when its parent dies: the parent holds the write end of this process's standard
 * input and never writes to it, so end-of-file there means the parent is gone (killed with
 * {@code kill -9} included), and the broker must not outlive it on a shared test machine.
 *
 * <p>Arguments: the {@code server.properties} path, the cluster id.
 */
public final class KafkaBrokerProcess {
    private KafkaBrokerProcess() {
    }

    public static void main(String[] args) throws IOException {
        // The broker logs through SLF4J to java.util.logging (slf4j-jdk14): warnings and worse only,
        // into this process's output, which the parent sends to a file in the broker's directory.
        Logger root = Logger.getLogger("");
        root.setLevel(Level.WARNING);
        for (var h : root.getHandlers()) {
            h.setLevel(Level.WARNING);
        }
        Path config = Path.of(args[0]);
        String clusterId = args[1];
        Thread watchdog = new Thread(KafkaBrokerProcess::exitWhenParentDies, "parent-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        if (!Files.exists(Path.of(property(config, "log.dirs"), "meta.properties"))) {
            PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
            int rc = kafka.tools.StorageTool.execute(new String[]{"format", "-t", clusterId, "-c", config.toString()}, out);
            if (rc != 0) {
                System.err.println("formatting the broker's storage failed: exit code " + rc);
                Runtime.getRuntime().halt(3);
            }
        }
        System.out.println("starting broker " + config);
        kafka.Kafka.main(new String[]{config.toString()});
    }

    private static String property(Path config, String key) throws IOException {
        var p = new java.util.Properties();
        try (var in = Files.newBufferedReader(config)) {
            p.load(in);
        }
        return p.getProperty(key);
    }

    private static void exitWhenParentDies() {
        try {
            InputStream in = System.in;
            while (in.read() >= 0) {
                // The parent never writes; anything read is ignored.
            }
        } catch (IOException e) {
            // A broken pipe means the same as end-of-file.
        }
        System.err.println("parent gone: broker exits");
        Runtime.getRuntime().halt(0);
    }
}
