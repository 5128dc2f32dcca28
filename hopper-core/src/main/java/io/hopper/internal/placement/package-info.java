/** What a ring slot holds: a record, or a {@link io.hopper.internal.placement.DiskRun} marker pointing into the disk stream. */
package io.hopper.internal.placement;
