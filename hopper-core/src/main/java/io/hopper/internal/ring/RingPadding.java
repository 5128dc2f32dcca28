package io.hopper.internal.ring;

/**
 * The fields of {@link RingDeque} that its two ends write, each group on cache lines of its own:
 * the producers' end ({@code tail}, {@code producersWaiting}), the consumer's end ({@code head},
 * {@code consumersParked}) and the word both write ({@code state}). HotSpot lays a superclass's
 * fields out before its subclass's, so 64 bytes of padding between the levels of this chain keep
 * a producer's store to {@code tail} from invalidating the line the consumer reads {@code head}
 * from, and the reverse (the technique of JCTools' queues).
 *
 * <p>Kept because JMH showed it pays (hopper-bench/RESULTS.md, 2026-12-07, "padding"): 64-byte
 * records one per send at 4 producers, and {@code sendAll}/{@code drainTo} at 2 producers, ran
 * faster padded than unpadded, in every fork.
 */
final class RingPadding {
    private RingPadding() {
    }

    /** Keeps the producers' end off the object header's line. */
    abstract static class Pad0 {
        long p00, p01, p02, p03, p04, p05, p06, p07;
    }

    /** The producers' end. */
    abstract static class Back extends Pad0 {
        /** Guarded: back lock. Next slot to fill. */
        int tail;
        /**
         * Guarded: back lock for writes. Volatile (the Dekker handshake with {@code state}):
         * producers blocked in {@code awaitNotFull}; read by the consumer without the back lock.
         */
        volatile int producersWaiting;
    }

    abstract static class Pad1 extends Back {
        long p10, p11, p12, p13, p14, p15, p16, p17;
    }

    /** The consumer's end. */
    abstract static class Front extends Pad1 {
        /** Guarded: front lock. Next slot to pop. */
        int head;
        /**
         * Guarded: front lock for writes. Volatile (the Dekker handshake with {@code state}):
         * consumers that announced they are about to park; read by producers without the front lock.
         */
        volatile int consumersParked;
    }

    abstract static class Pad2 extends Front {
        long p20, p21, p22, p23, p24, p25, p26, p27;
    }

    /** The word both ends write. */
    abstract static class State extends Pad2 {
        /**
         * The handshake between the two ends: occupied slots (high bits) and the bytes they are
         * charged (low bits). Added to under the back lock, subtracted from under the front lock,
         * always by one volatile read-modify-write; read with volatile loads. Writer: producers
         * (back lock) and the consumer (front lock), volatile.
         */
        volatile long state;
    }

    /** Keeps {@code state} off the line of RingDeque's own fields. */
    abstract static class Padded extends State {
        long p30, p31, p32, p33, p34, p35, p36, p37;
    }
}
