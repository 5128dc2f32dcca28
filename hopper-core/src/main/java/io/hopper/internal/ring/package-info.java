/**
 * The lock-split ring deque: producers push at the back under one lock, the consumer pops at
 * the front under another, and an atomic size is the only handshake between them.
 */
package io.hopper.internal.ring;
