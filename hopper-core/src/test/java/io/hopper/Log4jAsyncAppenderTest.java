package io.hopper;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.Logger;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.appender.AsyncAppender;
import org.apache.logging.log4j.core.async.BlockingQueueFactory;
import org.apache.logging.log4j.core.config.AbstractConfiguration;
import org.apache.logging.log4j.core.config.AppenderRef;
import org.apache.logging.log4j.core.config.ConfigurationSource;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;
import org.apache.logging.log4j.core.impl.Log4jLogEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A hopper channel as the queue of Log4j2's {@code AsyncAppender}: the application logs faster
 * than the appender behind it writes, the small memory budget overflows to disk, and every event
 * still reaches the appender, in order.
 */
class Log4jAsyncAppenderTest {
    private static final int EVENTS = 100_000;

    @TempDir
    Path dir;

    @Test
    void everyEventReachesASlowAppenderInOrderThroughASpillingQueue() throws Exception {
        Channel<LogEvent> channel = Hopper.builder(LogEvent.class, dir.resolve("log-queue"))
                .serializer(new LogEventSerializer())
                .inMemoryBytes(64 * 1024).weigher(e -> 1024) // 64 events in memory
                .diskBytes(512L << 20).maxDiskFiles(32)
                .open();
        SlowAppender slow = new SlowAppender();
        LoggerContext context = new LoggerContext("hopper-test");
        context.start(new HopperConfiguration(context, slow, channel.asBlockingQueue()));
        Logger logger = context.getLogger("ingest");
        for (int i = 0; i < EVENTS; i++) {
            logger.info("event {}", i);
        }
        ChannelStats whileBusy = channel.stats();
        context.stop(); // stops the AsyncAppender, which drains its queue into the slow appender first
        try {
            assertTrue(channel.stats().recordsSpilled() > 0, "the memory tier overflowed to disk: " + whileBusy);
            assertEquals(EVENTS, slow.received.size(), "events that reached the appender; " + channel.stats());
            for (int i = 0; i < EVENTS; i++) {
                assertEquals("event " + i, slow.received.get(i), "event " + i);
            }
            assertEquals(0, channel.stats().recordsLost(), channel.stats().toString());
        } finally {
            channel.close();
        }
        System.out.printf("Log4j2 AsyncAppender: %d events in order, %d of them through disk (%d bytes written)%n",
                EVENTS, channel.stats().recordsSpilled(), channel.stats().bytesWrittenToDisk());
    }

    /** An appender that spends about 5 µs per event: slower than the logging thread. */
    static final class SlowAppender extends AbstractAppender {
        final List<String> received = new ArrayList<>();

        SlowAppender() {
            super("slow", null, null, true, Property.EMPTY_ARRAY);
        }

        @Override
        public void append(LogEvent event) {
            received.add(event.getMessage().getFormattedMessage());
            long until = System.nanoTime() + 5_000;
            while (System.nanoTime() < until) {
                Thread.onSpinWait();
            }
        }
    }

    /** Root logger → AsyncAppender (hopper queue) → slow appender. */
    static final class HopperConfiguration extends AbstractConfiguration {
        private final SlowAppender slow;
        private final BlockingQueue<LogEvent> queue;

        HopperConfiguration(LoggerContext context, SlowAppender slow, BlockingQueue<LogEvent> queue) {
            super(context, ConfigurationSource.NULL_SOURCE);
            this.slow = slow;
            this.queue = queue;
        }

        @Override
        protected void doConfigure() {
            addAppender(slow); // the configuration starts its appenders; starting them here too would
                               // give the AsyncAppender a second dispatcher thread
            AsyncAppender async = AsyncAppender.newBuilder()
                    .setName("async")
                    .setConfiguration(this)
                    .setAppenderRefs(new AppenderRef[] {AppenderRef.createAppenderRef("slow", null, null)})
                    .setBlocking(true)
                    .setIgnoreExceptions(false)
                    .setBlockingQueueFactory((BlockingQueueFactory<LogEvent>) capacity -> queue)
                    .build();
            addAppender(async);
            LoggerConfig root = getRootLogger();
            root.setLevel(Level.INFO);
            root.addAppender(async, Level.INFO, null);
        }
    }

    /**
     * Log events through Java serialization, as Log4j2 itself serializes them
     * ({@link Log4jLogEvent#serialize}). The AsyncAppender stops its dispatcher with a sentinel event
     * that it recognises by identity; if the sentinel goes through the disk tier it must come back
     * as the same instance, so it gets a tag of its own.
     */
    static final class LogEventSerializer implements Serializer<LogEvent> {
        private static final LogEvent STOP = stopSentinel();

        private static LogEvent stopSentinel() {
            try {
                Class<?> dispatcher = Class.forName("org.apache.logging.log4j.core.appender.AsyncAppenderEventDispatcher");
                var field = dispatcher.getDeclaredField("STOP_EVENT");
                field.setAccessible(true);
                return (LogEvent) field.get(null);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("this Log4j2 version has no STOP_EVENT sentinel where expected", e);
            }
        }

        @Override
        public void serialize(LogEvent event, OutputStream out) throws IOException {
            if (event == STOP) {
                out.write(0);
                return;
            }
            out.write(1);
            ObjectOutputStream oos = new ObjectOutputStream(out);
            oos.writeObject(Log4jLogEvent.serialize(event, false));
            oos.flush();
        }

        @Override
        public LogEvent deserialize(byte[] bytes, int offset, int length) throws IOException {
            if (length == 1 && bytes[offset] == 0) {
                return STOP;
            }
            try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes, offset + 1, length - 1))) {
                Object o = in.readObject(); // Log4j2's proxy resolves itself back into a Log4jLogEvent
                if (o instanceof LogEvent event) {
                    return event;
                }
                return Log4jLogEvent.deserialize((Serializable) o);
            } catch (ClassNotFoundException e) {
                throw new IOException("not a log event", e);
            }
        }
    }
}
