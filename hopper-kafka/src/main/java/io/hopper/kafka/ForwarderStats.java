package io.hopper.kafka;

/**
 * An immutable snapshot of a {@link KafkaForwarder}'s counters. Each field is exact, but they are
 * read one after the other while the forwarder runs.
 *
 * @param forwarded         records the broker acknowledged (each record once, however often it was sent)
 * @param inFlight          records taken from the channel and not yet done: sent and unacknowledged,
 *                          failed and waiting for a retry, or acknowledged behind one of those
 * @param inFlightBytes     serialized key and value bytes of those records
 * @param retried           sends repeated after a retriable error (a record resent three times counts three)
 * @param failed            records Kafka refused for good and handed to the {@link FailureHandler}
 * @param deadLettered      of those, the ones the handler kept elsewhere
 * @param dropped           of those, the ones given up
 * @param commitLag         records taken from the channel's queue files past its last committed
 *                          position: what a crash now would deliver again (records that stayed in
 *                          memory are not counted: the channel delivers them once)
 * @param commits           commits of the channel's position
 * @param backlog           records waiting in the channel, in memory and on disk
 * @param producerRestarts  times the forwarder replaced its Kafka producer: to abort the sends in flight
 *                          after Kafka gave up on one, or after a fatal producer error
 * @param returnedAtClose   unacknowledged memory-tier records put back into the channel by {@code close()}
 */
public record ForwarderStats(
        long forwarded,
        long inFlight,
        long inFlightBytes,
        long retried,
        long failed,
        long deadLettered,
        long dropped,
        long commitLag,
        long commits,
        long backlog,
        long producerRestarts,
        long returnedAtClose) {
}
