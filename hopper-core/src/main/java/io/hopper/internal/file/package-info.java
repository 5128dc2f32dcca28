/**
 * File I/O that thread interrupts cannot break ({@link io.hopper.internal.file.InterruptSafeChannel},
 * {@link io.hopper.internal.file.Uninterruptibly}), directory forces, and a buffered front-to-back
 * reader. Knows nothing of hopper's formats; every other internal package does its file I/O
 * through it.
 */
package io.hopper.internal.file;
