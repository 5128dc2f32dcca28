/**
 * Forwarding a hopper channel into Kafka: {@link io.hopper.kafka.KafkaForwarder} drains a channel
 * into a topic on its own thread and commits the channel's position only for what the broker
 * acknowledged, so that a Kafka outage is absorbed by the channel's memory and disk tiers and a
 * crash of the process loses nothing acknowledged to a producer.
 */
package io.hopper.kafka;
