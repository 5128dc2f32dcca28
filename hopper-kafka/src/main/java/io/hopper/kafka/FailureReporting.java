package io.hopper.kafka;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Records Kafka refuses for good, handed to the user's {@link FailureHandler}, and the forwarder's
 * rate-limited warnings about them and about retries. Forwarder thread only.
 */
final class FailureReporting<T> {
    private static final System.Logger LOG = System.getLogger("io.hopper.kafka");
    static final long REPORT_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final FailureHandler<? super T> handler;
    private final ForwarderCounters counters;
    private long lastReportNanos;
    private long failedSinceReport;
    private Exception lastFailure;
    private long lastRetryReportNanos;

    FailureReporting(FailureHandler<? super T> handler, ForwarderCounters counters) {
        this.handler = handler;
        this.counters = counters;
    }

    /**
     * Hands a record Kafka will never take to the failure handler; it then counts as done. A
     * handler that throws an exception drops the record (logged); an {@link Error} from it
     * propagates, with the record not done: neither committed past nor lost.
     */
    void settle(Pending<T> p, Exception error) {
        counters.failed();
        failedSinceReport++;
        lastFailure = error;
        FailureHandler.Disposition d;
        try {
            d = handler.onFailure(p.record, error);
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "hopper-kafka: the failure handler threw; the record is dropped", e);
            d = FailureHandler.Disposition.DROPPED;
        }
        p.status = Pending.SETTLED;
        counters.disposed(d == FailureHandler.Disposition.DEAD_LETTERED);
    }

    /** Logs the records refused since the last report, at most once per {@link #REPORT_INTERVAL_NANOS}. */
    void report(long now) {
        if (failedSinceReport > 0 && now - lastReportNanos >= REPORT_INTERVAL_NANOS) {
            LOG.log(System.Logger.Level.WARNING, "hopper-kafka: " + failedSinceReport + " records refused by Kafka"
                    + " for good since the last report (" + counters.deadLettered() + " dead-lettered, "
                    + counters.dropped() + " dropped in all); the last error: " + lastFailure);
            failedSinceReport = 0;
            lastReportNanos = now;
        }
    }

    /** Logs a retry round, at most once per {@link #REPORT_INTERVAL_NANOS}. */
    void retrying(long now, long waiting, Exception cause, long backoffNanos, LongSupplier backlog) {
        if (now - lastRetryReportNanos >= REPORT_INTERVAL_NANOS) {
            lastRetryReportNanos = now;
            LOG.log(System.Logger.Level.WARNING, "hopper-kafka: " + waiting + " records failed (" + cause
                    + "); trying again after " + TimeUnit.NANOSECONDS.toMillis(backoffNanos) + " ms; the channel"
                    + " holds the backlog (" + backlog.getAsLong() + " records)");
        }
    }
}
