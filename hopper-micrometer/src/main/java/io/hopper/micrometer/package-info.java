/**
 * Optional Micrometer integration: {@link io.hopper.micrometer.HopperMetrics} publishes a
 * channel's statistics as gauges, counters and a timer. Core hopper has no metrics dependency.
 */
package io.hopper.micrometer;
