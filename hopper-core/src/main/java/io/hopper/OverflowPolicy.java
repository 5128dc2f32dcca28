package io.hopper;

/**
 * What a channel does with a record when both tiers are full: its memory budget is spent and its
 * disk budget (bytes or files) has no room left for the record, even after the channel released
 * every queue file the consumer has finished with.
 *
 * <p>Whatever the policy, the records that stay in the channel keep the guarantees: each is
 * delivered once, in its producer's order, and a restart delivers exactly those that were neither
 * received nor discarded. Every record a policy discards is counted exactly, in
 * {@link ChannelStats#recordsEvicted()} or {@link ChannelStats#recordsDropped()}, never in
 * {@link ChannelStats#recordsLost()} (which counts damage), and a log line (logger
 * {@code io.hopper}, level {@code WARNING}) says so at most once every ten seconds per channel.
 */
public enum OverflowPolicy {
    /**
     * The default: nothing is discarded. {@link Sender#send(Object)} waits for the consumer to free
     * room, {@link Sender#offer(Object)} returns {@code false} (the caller keeps the record) and the
     * timed offer waits up to its timeout.
     */
    BLOCK,
    /**
     * Make room by discarding the oldest records on disk, one queue file at a time, and accept the
     * new record, so that a producer never waits and the freshest data keeps flowing (telemetry
     * during a long outage). Sends and offers never wait for room and return {@code true}.
     *
     * <p>The oldest queue file goes first. If the consumer is reading it, the rest of that file is
     * discarded and the consumer continues at the next record that survives, in order; a record it
     * has already taken (or peeked) is delivered. The channel commits its read position past the
     * discarded records before it deletes their file, so a restart or a crash never brings them
     * back and never mistakes them for damage. Under {@link CommitMode#MANUAL} that means a crash
     * does not redeliver records of an evicted file that the consumer had received but not yet
     * committed: they were the oldest in the channel. Files the consumer has read completely (under
     * {@code MANUAL}, waiting for a commit) are discarded before any unread record.
     *
     * <p>Records held in memory are never evicted: they are at most the memory budget, and they
     * are, under {@link Durability#MEMORY_FIRST}, the records that were sent before anything went
     * to disk. If nothing on disk can be discarded to make room for a record (a record that fits
     * in memory but not in a queue file, while memory is full), that record is dropped as under
     * {@link #DROP_NEWEST}.
     */
    DROP_OLDEST,
    /**
     * Discard the new record and keep everything already queued. Sends and offers never wait for
     * room: {@link Sender#offer(Object)} and the timed offer return {@code false} when the record
     * was dropped, and {@link Sender#send(Object)} returns normally; every such record is counted in
     * {@link ChannelStats#recordsDropped()}. The caller learns of a drop from {@code offer}'s
     * answer; it need not (and, to keep the count meaningful, should not) offer the record again.
     */
    DROP_NEWEST
}
