/** The one helper for {@code VarHandle}s, and the counter idiom every internal package uses. */
package io.hopper.internal.concurrent;
