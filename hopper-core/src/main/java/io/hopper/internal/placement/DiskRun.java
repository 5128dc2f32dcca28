package io.hopper.internal.placement;

/**
 * A ring slot that holds no record but says "before the next slot, read the disk stream up to
 * (not including) record index {@link #end()}". Records themselves occupy slots directly, so a
 * slot holds either a record or a {@code DiskRun}: the two placements that keep one global order
 * across the memory and disk tiers.
 *
 * <p>The marker carries an absolute index rather than a count, so that a run the receiver has
 * already read (or had to skip over a damaged file) turns into a no-op instead of a miscount.
 *
 * @param end the disk record index the receiver must reach before taking the next slot
 */
public record DiskRun(long end) {
}
