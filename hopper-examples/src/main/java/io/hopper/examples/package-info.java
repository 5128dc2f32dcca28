/**
 * A runnable example: an ingest service that receives events over TCP on loopback, queues them
 * through hopper and ships them to a sink that stalls, proving at the end that nothing was lost
 * or reordered. Run it with {@code java -jar hopper-examples/target/hopper-examples.jar}.
 */
package io.hopper.examples;
