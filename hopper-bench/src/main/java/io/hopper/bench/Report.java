package io.hopper.bench;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/** The quick comparison's machine-readable (JSON) and visual (self-contained HTML with SVG) reports. */
final class Report {
    private Report() {
    }

    static String json(List<Main.Row> rows, List<Backlog.Result> backlog, List<Latency.Result> latency,
                       double secondsPerRow) {
        StringBuilder sb = new StringBuilder();
        sb.append("{\n  \"machine\": {\"cores\": ").append(Runtime.getRuntime().availableProcessors())
                .append(", \"jvm\": ").append(str(System.getProperty("java.vm.name")))
                .append(", \"javaVersion\": ").append(str(System.getProperty("java.version")))
                .append(", \"os\": ").append(str(System.getProperty("os.name") + " " + System.getProperty("os.arch")))
                .append("},\n  \"secondsPerRow\": ").append(num(secondsPerRow)).append(",\n  \"throughput\": [");
        for (int i = 0; i < rows.size(); i++) {
            Main.Row r = rows.get(i);
            sb.append(i == 0 ? "\n" : ",\n").append("    {\"scenario\": ").append(str(r.scenario()))
                    .append(", \"queue\": ").append(str(r.queue()))
                    .append(", \"producers\": ").append(r.producers())
                    .append(", \"recordBytes\": ").append(r.recordBytes())
                    .append(", \"recordsPerSec\": ").append(num(r.recordsPerSec()))
                    .append(", \"mbPerSec\": ").append(num(r.mbPerSec()))
                    .append(", \"sendsPerSec\": ").append(num(r.sendRate()))
                    .append(", \"notes\": ").append(str(r.notes())).append('}');
        }
        sb.append("\n  ],\n  \"backlog\": [");
        for (int i = 0; i < backlog.size(); i++) {
            Backlog.Result b = backlog.get(i);
            sb.append(i == 0 ? "\n" : ",\n").append("    {\"store\": ").append(str(b.store()))
                    .append(", \"records\": ").append(b.records())
                    .append(", \"drained\": ").append(b.drained())
                    .append(", \"recordBytes\": ").append(b.recordBytes())
                    .append(", \"recordType\": ").append(str(b.text() ? "String" : "byte[]"))
                    .append(", \"writeRecordsPerSec\": ").append(num(b.writeRecordsPerSec()))
                    .append(", \"writeMBPerSec\": ").append(num(b.writeMBPerSec()))
                    .append(", \"drainRecordsPerSec\": ").append(num(b.drainRecordsPerSec()))
                    .append(", \"drainMBPerSec\": ").append(num(b.drainMBPerSec()))
                    .append(", \"diskBytesPerRecord\": ").append(num(b.diskBytesPerRecord()))
                    .append(", \"diskMeasure\": ").append(str(b.diskMethod()))
                    .append(", \"heapBytes\": ").append(b.heapBytes())
                    .append(", \"rssBytes\": ").append(b.rssBytes())
                    .append(", \"notes\": ").append(str(b.notes()))
                    .append(", \"cache\": ").append(str(b.cache())).append('}');
        }
        sb.append("\n  ],\n  \"latency\": [");
        for (int i = 0; i < latency.size(); i++) {
            Latency.Result l = latency.get(i);
            sb.append(i == 0 ? "\n" : ",\n").append("    {\"queue\": ").append(str(l.queue()))
                    .append(", \"offeredPerSec\": ").append(num(l.offeredPerSec()))
                    .append(", \"records\": ").append(l.records())
                    .append(", \"p50Nanos\": ").append(l.p50())
                    .append(", \"p99Nanos\": ").append(l.p99())
                    .append(", \"p999Nanos\": ").append(l.p999())
                    .append(", \"maxNanos\": ").append(l.max())
                    .append(", \"roundP99Nanos\": ").append(l.roundP99()).append('}');
        }
        sb.append("\n  ]\n}\n");
        return sb.toString();
    }

    private static String num(double d) {
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            return "null";
        }
        return String.format(Locale.ROOT, "%.3f", d);
    }

    static String str(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static final String[] COLOURS = {"#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e"};

    static String html(List<Main.Row> rows, List<Backlog.Result> backlog, List<Latency.Result> latency) {
        StringBuilder sb = new StringBuilder();
        sb.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>hopper quick comparison</title>")
                .append("<style>body{font-family:sans-serif;margin:2em;max-width:60em}table{border-collapse:collapse}")
                .append("td,th{padding:.2em .8em;text-align:right;border-bottom:1px solid #ddd}th{background:#f4f4f4}")
                .append("td:first-child,th:first-child{text-align:left}</style></head><body>\n")
                .append("<h1>hopper quick comparison</h1>\n<p>")
                .append(esc(String.format(Locale.ROOT, "%d cores, %s %s, %s %s",
                        Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.name"),
                        System.getProperty("java.version"), System.getProperty("os.name"),
                        System.getProperty("os.arch"))))
                .append(". Single runs: JMH (<code>--jmh</code>) gives error bars.</p>\n");
        Set<String> scenarios = new LinkedHashSet<>();
        rows.forEach(r -> scenarios.add(r.scenario()));
        for (String s : scenarios) {
            List<Main.Row> rs = rows.stream().filter(r -> r.scenario().equals(s)).toList();
            boolean spill = s.equals(Main.SPILL);
            sb.append("<h2>").append(esc(s)).append(spill ? ": producer send rate" : ": end-to-end throughput")
                    .append("</h2>\n").append(chart(rs, spill));
        }
        sb.append("<h2>Backlog, written with the consumer stopped, then drained</h2>\n<table><tr><th>store</th>")
                .append("<th>record bytes</th><th>type</th><th>page cache at the drain</th><th>records</th><th>write records/s</th><th>drain records/s</th><th>disk bytes/record</th>")
                .append("<th>heap MiB</th><th>notes</th></tr>\n");
        for (Backlog.Result b : backlog) {
            sb.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%d</td><td>%s</td><td>%s</td><td>%,d</td>"
                            + "<td>%,.0f</td><td>%,.0f</td><td>%,.0f</td><td>%.1f</td><td>%s</td></tr>%n",
                    esc(b.store()), b.recordBytes(), b.text() ? "String" : "byte[]", esc(b.cache()), b.records(),
                    b.writeRecordsPerSec(), b.drainRecordsPerSec(), b.diskBytesPerRecord(), b.heapBytes() / 1048576.0,
                    esc(b.notes())));
        }
        sb.append("</table>\n<h2>Latency, send to receive</h2>\n");
        if (!latency.isEmpty()) {
            sb.append("<p>One producer on a fixed schedule; each record's latency runs from its scheduled send"
                    + " (coordinated omission corrected). Both axes logarithmic.</p>\n").append(latencyChart(latency));
        }
        sb.append("<table><tr><th>queue</th><th>offered records/s</th>")
                .append("<th>p50 &micro;s</th><th>p99 &micro;s</th><th>p99.9 &micro;s</th><th>max &micro;s</th></tr>\n");
        for (Latency.Result l : latency) {
            sb.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%,.0f</td><td>%.2f</td><td>%.2f</td>"
                            + "<td>%.2f</td><td>%.1f</td></tr>%n", esc(l.queue()), l.offeredPerSec(), l.p50() / 1e3,
                    l.p99() / 1e3, l.p999() / 1e3, l.max() / 1e3));
        }
        sb.append("</table>\n</body></html>\n");
        return sb.toString();
    }

    /** A line chart of records/s against producer count, one line per queue, as inline SVG. */
    private static String chart(List<Main.Row> rows, boolean sendRate) {
        int w = 640;
        int h = 320;
        int left = 90;
        int right = 170;
        int top = 20;
        int bottom = 50;
        TreeSet<Integer> xs = new TreeSet<>();
        Set<String> queues = new LinkedHashSet<>();
        double max = 0;
        for (Main.Row r : rows) {
            xs.add(r.producers());
            queues.add(r.queue());
            max = Math.max(max, sendRate ? r.sendRate() : r.recordsPerSec());
        }
        max = niceCeiling(max);
        List<Integer> xl = new ArrayList<>(xs);
        int plotW = w - left - right;
        int plotH = h - top - bottom;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                + " font-size=\"12\" role=\"img\">%n", w, h));
        for (int i = 0; i <= 4; i++) {
            double v = max * i / 4;
            double y = top + plotH - plotH * i / 4.0;
            sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                    + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n", left, left + plotW, y, y, left - 6,
                    y + 4, human(v)));
        }
        for (int i = 0; i < xl.size(); i++) {
            double x = xPos(i, xl.size(), left, plotW);
            sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>%n", x,
                    top + plotH + 18, xl.get(i)));
        }
        sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">producers</text>%n",
                left + plotW / 2.0, h - 8));
        sb.append(String.format(Locale.ROOT, "<text x=\"14\" y=\"%.1f\" transform=\"rotate(-90 14 %.1f)\""
                + " text-anchor=\"middle\">records/s</text>%n", top + plotH / 2.0, top + plotH / 2.0));
        int q = 0;
        for (String queue : queues) {
            String colour = COLOURS[q % COLOURS.length];
            StringBuilder pts = new StringBuilder();
            for (Main.Row r : rows) {
                if (!r.queue().equals(queue)) {
                    continue;
                }
                double x = xPos(xl.indexOf(r.producers()), xl.size(), left, plotW);
                double v = sendRate ? r.sendRate() : r.recordsPerSec();
                double y = top + plotH - plotH * v / max;
                pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
                sb.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\">"
                        + "<title>%s, %d producers: %,.0f records/s</title></circle>%n", x, y, colour, esc(queue),
                        r.producers(), v));
            }
            sb.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\""
                    + " points=\"%s\"/>%n", colour, pts.toString().trim()));
            sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                    + "<text x=\"%d\" y=\"%d\">%s</text>%n", left + plotW + 14, top + 6 + 20 * q, colour,
                    left + plotW + 32, top + 16 + 20 * q, esc(queue)));
            q++;
        }
        sb.append("</svg>\n");
        return sb.toString();
    }

    /**
     * Latency against offered rate, as inline SVG with both axes logarithmic: for each queue its
     * p50 (dashed) and its p99 (solid).
     */
    static String latencyChart(List<Latency.Result> latency) {
        int w = 640;
        int h = 360;
        int left = 80;
        int right = 190;
        int top = 20;
        int bottom = 50;
        int plotW = w - left - right;
        int plotH = h - top - bottom;
        double xMin = Double.MAX_VALUE;
        double xMax = 0;
        double yMin = Double.MAX_VALUE;
        double yMax = 0;
        Set<String> queues = new LinkedHashSet<>();
        for (Latency.Result l : latency) {
            queues.add(l.queue());
            xMin = Math.min(xMin, l.offeredPerSec());
            xMax = Math.max(xMax, l.offeredPerSec());
            yMin = Math.min(yMin, Math.max(1, l.p50()) / 1e3);
            yMax = Math.max(yMax, Math.max(1, l.p99()) / 1e3);
        }
        double lx0 = Math.floor(Math.log10(xMin));
        double lx1 = Math.max(lx0 + 1, Math.ceil(Math.log10(xMax)));
        double ly0 = Math.floor(Math.log10(yMin));
        double ly1 = Math.max(ly0 + 1, Math.ceil(Math.log10(yMax)));
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                + " font-size=\"12\" role=\"img\">%n", w, h));
        for (double e = ly0; e <= ly1; e++) {
            double y = top + plotH - plotH * (e - ly0) / (ly1 - ly0);
            sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                    + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s µs</text>%n", left, left + plotW, y, y,
                    left - 6, y + 4, human(Math.pow(10, e))));
        }
        for (double e = lx0; e <= lx1; e++) {
            double x = left + plotW * (e - lx0) / (lx1 - lx0);
            sb.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#eee\"/>"
                    + "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", x, x, top, top + plotH, x,
                    top + plotH + 18, human(Math.pow(10, e))));
        }
        sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">offered records/s</text>%n",
                left + plotW / 2.0, h - 8));
        int q = 0;
        int legend = 0;
        for (String queue : queues) {
            String colour = COLOURS[q % COLOURS.length];
            for (boolean p99 : new boolean[] {false, true}) {
                StringBuilder pts = new StringBuilder();
                for (Latency.Result l : latency) {
                    if (!l.queue().equals(queue)) {
                        continue;
                    }
                    double v = Math.max(1, p99 ? l.p99() : l.p50()) / 1e3;
                    double x = left + plotW * (Math.log10(l.offeredPerSec()) - lx0) / (lx1 - lx0);
                    double y = top + plotH - plotH * (Math.log10(v) - ly0) / (ly1 - ly0);
                    pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
                    sb.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\">"
                            + "<title>%s %s at %,.0f records/s: %.2f µs</title></circle>%n", x, y, colour, esc(queue),
                            p99 ? "p99" : "p50", l.offeredPerSec(), v));
                }
                sb.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s"
                        + " points=\"%s\"/>%n", colour, p99 ? "" : " stroke-dasharray=\"5,4\"", pts.toString().trim()));
                sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"%s\""
                        + " stroke-width=\"2\"%s/><text x=\"%d\" y=\"%d\">%s %s</text>%n", left + plotW + 14,
                        left + plotW + 32, top + 12 + 20 * legend, top + 12 + 20 * legend, colour,
                        p99 ? "" : " stroke-dasharray=\"5,4\"", left + plotW + 38, top + 16 + 20 * legend, esc(queue),
                        p99 ? "p99" : "p50"));
                legend++;
            }
            q++;
        }
        sb.append("</svg>\n");
        return sb.toString();
    }

    private static double xPos(int i, int n, int left, int plotW) {
        return n == 1 ? left + plotW / 2.0 : left + 20 + (plotW - 40) * (double) i / (n - 1);
    }

    /** The smallest 1, 2 or 5 times a power of ten at or above {@code v}. */
    static double niceCeiling(double v) {
        if (!(v > 0)) {
            return 1;
        }
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 2, 5, 10}) {
            if (m * p >= v) {
                return m * p;
            }
        }
        return 10 * p;
    }

    static String human(double v) {
        if (v >= 1e6) {
            return String.format(Locale.ROOT, "%.1fM", v / 1e6);
        }
        if (v >= 1e3) {
            return String.format(Locale.ROOT, "%.0fk", v / 1e3);
        }
        return String.format(Locale.ROOT, "%.0f", v);
    }
}
