/** The consumer state machine: ring first, disk runs where markers say, and claims of unannounced runs. */
package io.hopper.internal.receiver;
