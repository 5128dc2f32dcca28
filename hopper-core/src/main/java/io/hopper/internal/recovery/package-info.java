/** Opening an existing channel directory: ownership, and what survives a restart. */
package io.hopper.internal.recovery;
