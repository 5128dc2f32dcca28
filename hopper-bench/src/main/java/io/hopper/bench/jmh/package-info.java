/**
 * JMH benchmarks: producer/consumer transfer through hopper and the queues it is compared with.
 * Run through the benchmark jar's {@code --jmh} flag, which passes the rest of the command line to JMH.
 */
package io.hopper.bench.jmh;
