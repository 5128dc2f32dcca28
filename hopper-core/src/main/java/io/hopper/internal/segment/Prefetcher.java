package io.hopper.internal.segment;

/**
 * Decodes frames ahead of the consumer (read-ahead). The cursor stays the only authority on
 * positions: it offers each window it reads, and for each frame it locates it asks whether a
 * value decoded from exactly that frame's payload is ready. Both calls come with the front and
 * file locks held, and with the head file open: {@code file} may be read during the call, never
 * kept, and never past {@code readableEnd}, the bytes the writer has published.
 */
public interface Prefetcher {
    /**
     * Bytes {@code [windowStart, windowStart + length)} of queue file {@code sequence} were just
     * read into {@code window}, and a frame starts at {@code firstFrame}. The array is reused
     * after the call: copy what is kept.
     */
    void windowRead(long sequence, SegmentReader file, long readableEnd, byte[] window, long windowStart,
                    int length, long firstFrame);

    /**
     * Whether a value decoded from the frame at {@code offset} of file {@code sequence}, whose
     * payload checked against {@code payloadCrc}, is ready; if so it is the next one handed over.
     * May wait for a decode under way.
     */
    boolean ready(long sequence, SegmentReader file, long readableEnd, long offset, int payloadCrc);
}
