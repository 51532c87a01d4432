package dev.tfmon.architecture;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The layer diagram of docs/ARCHITECTURE.md (its first fenced block): one row per line, top to
 * bottom, each row starting with the packages it holds ({@code hook/}, {@code checkpoint/
 * summary/ coord/}); text after them and lines without a leading package (the CLI, the bridge) are
 * description. A package may refer only to packages on rows below its own, never to a sibling.
 *
 * <pre>{@code
 * LayerMap map = LayerMap.parse(Files.readString(Path.of("docs/ARCHITECTURE.md")));
 * List<String> wrong = map.violations(ImportGraph.scan(Path.of("src/main/java")));
 * }</pre>
 */
record LayerMap(Map<String, Integer> rowOf) {
  private static final Pattern LEADING_PACKAGES = Pattern.compile("^\\s*((?:[a-z][a-z0-9_]*/\\s*)+)");

  /** The map in the first fenced block of {@code markdown}. */
  static LayerMap parse(String markdown) {
    int open = markdown.indexOf("```");
    int close = open < 0 ? -1 : markdown.indexOf("```", open + 3);
    if (close < 0) {
      throw new IllegalArgumentException("no fenced block with the layer diagram in the document");
    }
    String block = markdown.substring(markdown.indexOf('\n', open) + 1, close);
    Map<String, Integer> rows = new LinkedHashMap<>();
    int row = 0;
    for (String line : block.split("\n")) {
      Matcher m = LEADING_PACKAGES.matcher(line);
      if (!m.find()) {
        continue;
      }
      for (String name : m.group(1).trim().split("/\\s*")) {
        if (!name.isBlank() && rows.putIfAbsent("dev.tfmon." + name.trim(), row) != null) {
          throw new IllegalArgumentException("package " + name + "/ stands twice in the layer diagram");
        }
      }
      row++;
    }
    if (rows.isEmpty()) {
      throw new IllegalArgumentException("the layer diagram names no package");
    }
    return new LayerMap(Map.copyOf(rows));
  }

  /** Packages with sources that the map does not place. */
  List<String> unplaced(ImportGraph graph) {
    return graph.tfmonPackages().stream().filter(p -> !rowOf.containsKey(p)).toList();
  }

  /** Every reference that does not point down the map, with the first place it is made. */
  List<String> violations(ImportGraph graph) {
    List<String> out = new ArrayList<>();
    graph.edges().forEach((from, targets) -> targets.forEach((to, places) -> {
      Integer a = rowOf.get(from);
      Integer b = rowOf.get(to);
      if (a == null || b == null || b > a) {
        return;
      }
      String how = b.equals(a) ? "a package on the same row" : "a package above it";
      out.add(from + " refers to " + to + " (" + how + ") at " + places.get(0)
          + (places.size() > 1 ? " and " + (places.size() - 1) + " more place(s)" : ""));
    }));
    return out;
  }
}
