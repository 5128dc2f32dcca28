/**
 * The benchmark program ({@code java -jar hopper-bench.jar}): a short side-by-side comparison of
 * hopper and the JDK's blocking queues on embedded defaults, and the entry point to the JMH suite.
 */
package io.hopper.bench;
