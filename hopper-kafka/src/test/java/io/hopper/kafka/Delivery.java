package io.hopper.kafka;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** What reached a topic, checked against what was sent. */
record Delivery(Set<String> missing, long duplicates, long outOfOrder, long records) {

    /** The mapping the tests forward with: key = source, value = {@code source:seq:kind}. */
    static ProducerRecord<String, String> toKafka(String topic, Event e) {
        String value;
        if (e instanceof Event.Click c) {
            value = e.id() + ":click " + c.page();
        } else if (e instanceof Event.Metric m) {
            value = e.id() + ":metric " + m.name() + "=" + m.value();
        } else {
            value = e.id() + ":blob " + "x".repeat(((Event.Blob) e).data().length);
        }
        return new ProducerRecord<>(topic, e.source(), value);
    }

    /**
     * Checks the topic's records against the ids expected. Order: within each key (one
     * partition), the first occurrence of each id comes in increasing sequence.
     */
    static Delivery check(List<ConsumerRecord<byte[], byte[]>> got, Collection<String> expected) {
        Map<String, Integer> seen = new HashMap<>();
        Map<String, Long> lastSeqPerKey = new HashMap<>();
        long outOfOrder = 0;
        for (ConsumerRecord<byte[], byte[]> r : got) {
            String v = new String(r.value(), StandardCharsets.UTF_8);
            String[] parts = v.split(":", 3);
            String id = parts[0] + ":" + parts[1];
            if (seen.merge(id, 1, Integer::sum) == 1) {
                long seq = Long.parseLong(parts[1]);
                Long last = lastSeqPerKey.put(parts[0], seq);
                if (last != null && seq < last) {
                    outOfOrder++;
                }
            }
        }
        Set<String> missing = new TreeSet<>();
        for (String id : expected) {
            if (!seen.containsKey(id)) {
                missing.add(id);
            }
        }
        long dups = 0;
        for (int n : seen.values()) {
            dups += n - 1;
        }
        return new Delivery(missing, dups, outOfOrder, got.size());
    }

    static List<String> ids(String source, long from, long to) {
        List<String> out = new ArrayList<>();
        for (long s = from; s < to; s++) {
            out.add(source + ":" + s);
        }
        return out;
    }

    static Set<String> union(Collection<? extends Collection<String>> parts) {
        Set<String> all = new HashSet<>();
        parts.forEach(all::addAll);
        return all;
    }

    String summary() {
        return records + " records in the topic, " + missing.size() + " missing"
                + (missing.isEmpty() ? "" : " (first: " + missing.iterator().next() + ")")
                + ", " + duplicates + " duplicates, " + outOfOrder + " out of order";
    }
}
