package io.hopper.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A real single-node Kafka cluster (one process that is broker and KRaft controller) in a child
 * JVM, started from the Kafka jars on this JVM's class path: no Docker, no installation. It
 * listens on two free ports of 127.0.0.1 only and keeps everything it writes (data, its own
 * temporary files, its output) under the directory it is given, so a test's directory holds all of
 * it. It can be killed ({@code SIGKILL}), stopped ({@code SIGTERM}), hung ({@code SIGSTOP}) and
 * resumed, and started again on the same data and ports. The child exits by itself when this
 * JVM dies.
 */
public final class LocalKafkaBroker implements AutoCloseable {
    /** The broker's node id: it is the whole cluster (controller and broker in one process). */
    private static final int NODE_ID = 1;

    /** Held here: java.util.logging keeps loggers weakly, and a collected one forgets its level. */
    private static final Logger KAFKA_LOGGER = Logger.getLogger("org.apache.kafka");

    static {
        quietKafkaClients();
    }
    private final Path dir;
    private final Path config;
    private final Path output;
    private final String clusterId = Uuid.randomUuid().toString();
    private final int port;
    private final int controllerPort;
    /**
     * The running child, replaced by {@link #start()}. Written under this object's monitor (start,
     * kill, stop); volatile so that the unsynchronized readers (signals, readiness checks, pid)
     * see the latest child.
     */
    private volatile Process process;

    private LocalKafkaBroker(Path dir, Map<String, String> overrides) throws IOException {
        this.dir = dir.toAbsolutePath();
        Files.createDirectories(this.dir.resolve("tmp"));
        this.port = freePort();
        this.controllerPort = freePort();
        this.config = this.dir.resolve("server.properties");
        this.output = this.dir.resolve("broker.log");
        Map<String, String> p = new TreeMap<>();
        p.put("process.roles", "broker,controller");
        p.put("node.id", Integer.toString(NODE_ID));
        p.put("controller.quorum.voters", NODE_ID + "@127.0.0.1:" + controllerPort);
        p.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("log.dirs", this.dir.resolve("data").toString());
        p.put("num.partitions", "4");
        p.put("auto.create.topics.enable", "false");
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("num.network.threads", "2");
        p.put("num.io.threads", "2");
        p.put("background.threads", "2");
        p.put("num.recovery.threads.per.data.dir", "1");
        // A restarted broker registers again only once the controller has given up on its
        // previous incarnation: seconds, not the default 9.
        p.put("broker.heartbeat.interval.ms", "500");
        p.put("broker.session.timeout.ms", "2000");
        // The cleaner's 128 MiB default dedupe buffer alone would not fit the child's small heap.
        p.put("log.cleaner.dedupe.buffer.size", String.valueOf(2 * 1024 * 1024));
        p.put("log.cleaner.threads", "1");
        p.putAll(overrides);
        Properties props = new Properties();
        props.putAll(p);
        try (var w = Files.newBufferedWriter(config)) {
            props.store(w, "written by LocalKafkaBroker");
        }
    }

    /**
     * Starts a broker whose files all live under {@code dir}, and waits until it takes requests.
     *
     * @param dir       the broker's directory (created if needed)
     * @param overrides broker settings that replace or add to the defaults (e.g. {@code message.max.bytes})
     * @return the running broker
     */
    public static LocalKafkaBroker start(Path dir, Map<String, String> overrides) throws IOException {
        LocalKafkaBroker b = new LocalKafkaBroker(dir, overrides);
        b.start();
        return b;
    }

    /** {@link #start(Path, Map)} with the defaults. */
    public static LocalKafkaBroker start(Path dir) throws IOException {
        return start(dir, Map.of());
    }

    /** {@return the address clients bootstrap from} */
    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    /** {@return the broker process's id} */
    public long pid() {
        return process.pid();
    }

    /** {@return the two ports it listens on: clients', the controller's} */
    public List<Integer> ports() {
        return List.of(port, controllerPort);
    }

    /** {@return the broker's directory} */
    public Path directory() {
        return dir;
    }

    /** Starts the broker process again on the same data and ports (after {@link #kill()} or {@link #stop()}). */
    public synchronized void start() throws IOException {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("the broker is running");
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xms64m");
        cmd.add("-Xmx384m");
        cmd.add("-XX:+UseSerialGC");
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("-XX:-UsePerfData"); // no hsperfdata file in the system's temporary directory
        cmd.add("-Djava.io.tmpdir=" + dir.resolve("tmp"));
        cmd.add("-Dkafka.logs.dir=" + dir.resolve("logs"));
        cmd.add("-Djava.net.preferIPv4Stack=true");
        cmd.add("-cp");
        cmd.add(classPath());
        cmd.add(KafkaBrokerProcess.class.getName());
        cmd.add(config.toString());
        cmd.add(clusterId);
        process = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile()))
                .start(); // stdin stays a pipe this JVM holds: the child exits when it reads end-of-file
        awaitReady(Duration.ofSeconds(90));
    }

    /** Kills the broker with {@code SIGKILL}, as a crash or an OOM kill would, and waits until it is gone. */
    public synchronized void kill() throws InterruptedException {
        Process p = process;
        if (p != null) {
            p.destroyForcibly();
            p.waitFor();
        }
    }

    /** Stops the broker with {@code SIGTERM} (a controlled shutdown) and waits up to a minute, then kills it. */
    public synchronized void stop() throws InterruptedException {
        Process p = process;
        if (p != null && p.isAlive()) {
            p.destroy();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor();
            }
        }
    }

    /** Hangs the broker with {@code SIGSTOP}: its sockets stay open and nothing answers. */
    public void suspend() throws IOException, InterruptedException {
        signal("STOP");
    }

    /** Resumes a broker {@link #suspend() hung} with {@code SIGSTOP}. */
    public void resume() throws IOException, InterruptedException {
        signal("CONT");
    }

    private void signal(String name) throws IOException, InterruptedException {
        Process p = process;
        if (p == null || !p.isAlive()) {
            throw new IllegalStateException("the broker is not running");
        }
        Process kill = new ProcessBuilder("kill", "-" + name, String.valueOf(p.pid())).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IOException("kill -" + name + " " + p.pid() + " failed");
        }
    }

    /** Creates a topic with replication factor 1, if it does not exist yet. */
    public void createTopic(String name, int partitions) throws InterruptedException {
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all().get(60, TimeUnit.SECONDS);
            awaitLeaders(admin, name, partitions);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("cannot create topic " + name + ": " + e.getCause(), e.getCause());
            }
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("creating topic " + name + " timed out; broker output: " + outputTail(), e);
        }
    }

    /**
     * Waits until the broker leads every partition of {@code topic} and holds its log. The
     * controller accepts a topic before the broker has made itself leader of its partitions; a
     * producer that starts at once meets NOT_LEADER_OR_FOLLOWER, and once (JDK 25, a loaded
     * 2-core machine) Kafka's idempotent producer then looped on OUT_OF_ORDER_SEQUENCE_NUMBER for
     * that partition until the delivery timeout, so a test that assumes a healthy broker saw a
     * record Kafka gave up on. Tests start from a topic that is ready, as a deployed one is.
     */
    private void awaitLeaders(Admin admin, String topic, int partitions)
            throws InterruptedException, ExecutionException, java.util.concurrent.TimeoutException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (;;) {
            var description = admin.describeTopics(List.of(topic)).allTopicNames().get(60, TimeUnit.SECONDS).get(topic);
            boolean led = description.partitions().size() == partitions
                    && description.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty());
            long logs = 0;
            if (led) {
                var dirs = admin.describeLogDirs(List.of(NODE_ID)).allDescriptions().get(60, TimeUnit.SECONDS).get(NODE_ID);
                logs = dirs.values().stream().flatMap(d -> d.replicaInfos().keySet().stream())
                        .filter(tp -> tp.topic().equals(topic)).count();
            }
            if (logs == partitions) {
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("topic " + topic + " has no leader for every partition after 60 s;"
                        + " broker output: " + outputTail());
            }
            Thread.sleep(20);
        }
    }

    /** {@return an admin client for this broker} The caller closes it. */
    public Admin admin() {
        return Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 60_000));
    }

    /** {@return the last 4 KiB of the broker's output, for failure messages} */
    public String outputTail() {
        try {
            byte[] all = Files.readAllBytes(output);
            int from = Math.max(0, all.length - 4096);
            return new String(all, from, all.length - from, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(cannot read " + output + ": " + e + ")";
        }
    }

    /** {@link #stop()}; an interrupt while waiting kills the broker instead and is kept in the thread's status. */
    @Override
    public void close() {
        try {
            stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    private void awaitReady(Duration limit) throws IOException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("the broker exited with code " + process.exitValue() + " while starting; output:\n"
                        + outputTail());
            }
            if (accepts(port)) {
                try (Admin admin = admin()) {
                    if (!admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).isEmpty()) {
                        return;
                    }
                } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
                    // not ready yet
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while waiting for the broker", e);
                }
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for the broker", e);
            }
        }
        process.destroyForcibly();
        throw new IOException("the broker did not start within " + limit + "; output:\n" + outputTail());
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Surefire runs tests from a manifest-only jar and names the real class path in this property. */
    private static String classPath() {
        String cp = System.getProperty("surefire.test.class.path");
        return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
    }

    /**
     * Kafka's clients log their whole configuration at INFO each time one is made; tests and the
     * demo keep warnings only.
     */
    public static void quietKafkaClients() {
        KAFKA_LOGGER.setLevel(Level.WARNING);
    }
}
