/**
 * A channel directory read from the outside, offline and read-only: queue files frame by frame,
 * the committed position, the memory snapshot, and the records as stored. The one window onto
 * the on-disk format that hopper exports; {@code hopper-cli} is built on it.
 */
package io.hopper.inspect;
