/**
 * Hopper's public API: {@link io.hopper.Hopper} builds a {@link io.hopper.Channel}, whose
 * {@link io.hopper.Sender} is shared by producers and whose {@link io.hopper.Receiver} serves one
 * consumer. Everything under {@code io.hopper.internal} is implementation.
 */
package io.hopper;
