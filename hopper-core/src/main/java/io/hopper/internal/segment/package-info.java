/**
 * Rotating queue files: the on-disk format ({@link io.hopper.internal.segment.SegmentFormat}),
 * the writer ({@link io.hopper.internal.segment.SegmentAppender}), the reader
 * ({@link io.hopper.internal.segment.SegmentCursor}), the budget
 * ({@link io.hopper.internal.segment.SegmentLog}) and the two storage back ends.
 */
package io.hopper.internal.segment;
