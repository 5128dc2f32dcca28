package io.hopper.cli;

import io.hopper.inspect.ChannelDirectory;

import java.util.ArrayList;
import java.util.List;

/** The JSON the tool prints: built by hand, so the tool needs nothing beyond hopper-core. */
final class Json {
    private Json() {
    }

    static String str(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }

    static String scan(ChannelDirectory.Scan s) {
        ChannelDirectory.SnapshotScan snap = s.snapshotFrames();
        List<String> files = new ArrayList<>();
        for (ChannelDirectory.FileScan f : s.files()) {
            files.add("{\"name\":" + str(f.name()) + ",\"sequence\":" + f.sequence() + ",\"bytes\":" + f.bytes()
                    + ",\"records\":" + f.records() + ",\"firstIndex\":" + f.firstIndex() + ",\"lastIndex\":"
                    + f.lastIndex() + ",\"compressedRecords\":" + f.compressed() + ",\"sealed\":" + f.sealed()
                    + ",\"headerProblem\":" + (f.headerProblem() == null ? "null" : str(f.headerProblem()))
                    + ",\"damagedFrames\":" + f.damagedFrames() + ",\"damagedRegions\":" + f.damagedRegions()
                    + ",\"recordsLost\":" + f.recordsLost() + ",\"tornTailBytes\":" + f.tornTailBytes()
                    + ",\"damaged\":" + f.damaged() + "}");
        }
        ChannelDirectory.Cursor c = s.cursor();
        String cursor = !c.present() ? "null" : "{\"version\":" + c.version() + ",\"intactCopies\":" + c.intactSlots()
                + (c.committed() == null ? ",\"damaged\":true}" : ",\"damaged\":false,\"readIndex\":" + c.committed().readIndex()
                + ",\"nextIndex\":" + c.committed().nextIndex() + ",\"nextSequence\":" + c.committed().nextSequence()
                + ",\"snapshotRecords\":" + c.committed().snapshotRecords() + ",\"snapshotDelivered\":"
                + c.committed().snapshotDelivered() + "}");
        ChannelDirectory.SnapshotHeader h = s.snapshot();
        String snapshot = h == null ? "null" : "{\"intact\":" + h.intact() + ",\"version\":" + h.version()
                + ",\"records\":" + h.records() + ",\"diskLimit\":" + h.diskLimit() + ",\"bytes\":" + h.bytes()
                + (snap == null ? "" : ",\"intactRecords\":" + snap.records() + ",\"damagedFrames\":" + snap.damagedFrames())
                + "}";
        List<String> aside = new ArrayList<>();
        s.setAside().forEach(a -> aside.add(str(a)));
        return "{\"directory\":" + str(s.directory().toAbsolutePath().toString()) + ",\"locked\":" + s.locked()
                + ",\"damaged\":" + s.damaged() + ",\"records\":" + s.records() + ",\"bytes\":" + s.bytes()
                + ",\"cursor\":" + cursor + ",\"snapshot\":" + snapshot + ",\"files\":[" + String.join(",", files)
                + "],\"setAside\":[" + String.join(",", aside) + "]}";
    }
}
