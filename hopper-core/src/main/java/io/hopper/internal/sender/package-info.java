/** The producer state machine: memory mode, disk mode, and the markers that join them. */
package io.hopper.internal.sender;
