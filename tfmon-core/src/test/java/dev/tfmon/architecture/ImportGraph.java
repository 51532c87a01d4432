package dev.tfmon.architecture;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Which tfmon package refers to which, read from Java sources: imports and fully qualified names
 * in code (comments and string literals are blanked first, so a {@code {@link ...}} or a message
 * naming a class is no dependency). A package here is {@code dev.tfmon.<name>}; other packages
 * count only as "external references", used to find uses of TF Java's internals.
 *
 * <pre>{@code
 * ImportGraph g = ImportGraph.scan(Path.of("src/main/java"));
 * List<List<String>> cycles = g.cycles();
 * }</pre>
 */
final class ImportGraph {
  private static final Pattern PACKAGE = Pattern.compile("^\\s*package\\s+([\\w.]+)\\s*;", Pattern.MULTILINE);
  private static final Pattern TFMON_NAME = Pattern.compile("\\bdev\\.tfmon\\.([a-z_][a-z0-9_]*)\\b");
  private static final Pattern DOTTED_NAME = Pattern.compile("\\b[a-z]\\w*(?:\\.\\w+)+");

  /** One place a file refers to a name: {@code path:line}. */
  record Where(String file, int line) {
    @Override
    public String toString() {
      return file + ":" + line;
    }
  }

  private final Map<String, Map<String, List<Where>>> edges;
  private final TreeSet<String> packages;
  private final List<Map.Entry<String, Where>> references;

  private ImportGraph(
      Map<String, Map<String, List<Where>>> edges,
      TreeSet<String> packages,
      List<Map.Entry<String, Where>> references) {
    this.edges = edges;
    this.packages = packages;
    this.references = references;
  }

  /** Scans every {@code .java} file under {@code sourceRoot}. */
  static ImportGraph scan(Path sourceRoot) {
    Map<String, Map<String, List<Where>>> edges = new TreeMap<>();
    TreeSet<String> packages = new TreeSet<>();
    List<Map.Entry<String, Where>> references = new ArrayList<>();
    List<Path> files;
    try (Stream<Path> walk = Files.walk(sourceRoot)) {
      files = walk.filter(p -> p.toString().endsWith(".java")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + sourceRoot, e);
    }
    if (files.isEmpty()) {
      throw new IllegalStateException("no .java file under " + sourceRoot.toAbsolutePath());
    }
    for (Path file : files) {
      String rel = sourceRoot.relativize(file).toString();
      String code;
      try {
        code = blankCommentsAndLiterals(Files.readString(file, StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + file, e);
      }
      Matcher pm = PACKAGE.matcher(code);
      String pkg = pm.find() ? pm.group(1) : "";
      String from = tfmonPackage(pkg);
      if (from != null) {
        packages.add(from);
      }
      String[] lines = code.split("\n", -1);
      for (int i = 0; i < lines.length; i++) {
        String line = lines[i];
        if (line.stripLeading().startsWith("package ")) {
          continue;
        }
        Where where = new Where(rel, i + 1);
        Matcher m = DOTTED_NAME.matcher(line);
        while (m.find()) {
          references.add(Map.entry(m.group(), where));
        }
        if (from == null) {
          continue;
        }
        Matcher t = TFMON_NAME.matcher(line);
        while (t.find()) {
          String to = "dev.tfmon." + t.group(1);
          if (!to.equals(from)) {
            edges
                .computeIfAbsent(from, k -> new TreeMap<>())
                .computeIfAbsent(to, k -> new ArrayList<>())
                .add(where);
          }
        }
      }
    }
    return new ImportGraph(edges, packages, references);
  }

  /** {@code dev.tfmon.x} for any package at or below it, else null. */
  static String tfmonPackage(String pkg) {
    Matcher m = Pattern.compile("^dev\\.tfmon\\.([a-z_][a-z0-9_]*)").matcher(pkg);
    return m.find() ? "dev.tfmon." + m.group(1) : null;
  }

  /** The tfmon packages that have at least one source file. */
  TreeSet<String> tfmonPackages() {
    return new TreeSet<>(packages);
  }

  /** From package to the packages it refers to, each with the places it does. */
  Map<String, Map<String, List<Where>>> edges() {
    return edges;
  }

  /** Every place a dotted name starting with {@code prefix} appears in code. */
  List<Where> referencesTo(String prefix) {
    List<Where> out = new ArrayList<>();
    for (Map.Entry<String, Where> r : references) {
      String name = r.getKey();
      if (name.equals(prefix) || name.startsWith(prefix + ".")) {
        out.add(r.getValue());
      }
    }
    return out;
  }

  /**
   * Every group of packages that refer to each other in a circle (the strongly connected
   * components with more than one package), each sorted, in sorted order.
   */
  List<List<String>> cycles() {
    TreeSet<String> nodes = new TreeSet<>(tfmonPackages());
    nodes.addAll(edges.keySet());
    edges.values().forEach(m -> nodes.addAll(m.keySet()));
    Tarjan tarjan = new Tarjan();
    for (String n : nodes) {
      if (!tarjan.index.containsKey(n)) {
        tarjan.connect(n);
      }
    }
    List<List<String>> out = new ArrayList<>();
    for (List<String> c : tarjan.components) {
      if (c.size() > 1) {
        out.add(new ArrayList<>(new TreeSet<>(c)));
      }
    }
    out.sort((a, b) -> a.get(0).compareTo(b.get(0)));
    return out;
  }

  /** The first place {@code from} refers to {@code to}, for error messages. */
  Where firstReference(String from, String to) {
    return edges.getOrDefault(from, Map.of()).getOrDefault(to, List.of()).stream().findFirst().orElse(null);
  }

  private final class Tarjan {
    final Map<String, Integer> index = new HashMap<>();
    final Map<String, Integer> low = new HashMap<>();
    final Deque<String> stack = new ArrayDeque<>();
    final Set<String> onStack = new HashSet<>();
    final List<List<String>> components = new ArrayList<>();
    int next;

    void connect(String v) {
      index.put(v, next);
      low.put(v, next);
      next++;
      stack.push(v);
      onStack.add(v);
      for (String w : edges.getOrDefault(v, Map.of()).keySet()) {
        if (!index.containsKey(w)) {
          connect(w);
          low.put(v, Math.min(low.get(v), low.get(w)));
        } else if (onStack.contains(w)) {
          low.put(v, Math.min(low.get(v), index.get(w)));
        }
      }
      if (low.get(v).equals(index.get(v))) {
        List<String> component = new ArrayList<>();
        String w;
        do {
          w = stack.pop();
          onStack.remove(w);
          component.add(w);
        } while (!w.equals(v));
        components.add(component);
      }
    }
  }

  /**
   * The source with comments, string and char literals (text blocks too) replaced by spaces, line
   * breaks kept so line numbers still match.
   */
  static String blankCommentsAndLiterals(String src) {
    StringBuilder out = new StringBuilder(src.length());
    int n = src.length();
    int i = 0;
    while (i < n) {
      char c = src.charAt(i);
      if (c == '/' && i + 1 < n && src.charAt(i + 1) == '/') {
        while (i < n && src.charAt(i) != '\n') {
          out.append(' ');
          i++;
        }
      } else if (c == '/' && i + 1 < n && src.charAt(i + 1) == '*') {
        int end = src.indexOf("*/", i + 2);
        end = end < 0 ? n : end + 2;
        blank(src, i, end, out);
        i = end;
      } else if (src.startsWith("\"\"\"", i)) {
        int end = src.indexOf("\"\"\"", i + 3);
        end = end < 0 ? n : end + 3;
        blank(src, i, end, out);
        i = end;
      } else if (c == '"' || c == '\'') {
        int j = i + 1;
        while (j < n && src.charAt(j) != c && src.charAt(j) != '\n') {
          j += src.charAt(j) == '\\' ? 2 : 1;
        }
        int end = Math.min(n, j + 1);
        blank(src, i, end, out);
        i = end;
      } else {
        out.append(c);
        i++;
      }
    }
    return out.toString();
  }

  private static void blank(String src, int from, int to, StringBuilder out) {
    for (int k = from; k < to; k++) {
      out.append(src.charAt(k) == '\n' ? '\n' : ' ');
    }
  }
}
