package dev.tfmon.export;

import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.FunctionDef;
import org.tensorflow.proto.FunctionDefLibrary;
import org.tensorflow.proto.GradientDef;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NameAttrList;
import org.tensorflow.proto.NodeDef;

/**
 * Cuts a {@code GraphDef} down to what some fetches need: the nodes they depend on through data and
 * control inputs, stopping at the fed nodes, plus the functions those nodes call. Optimizer slots,
 * the input pipeline, summaries and the training saver's ops fall away because no signature output
 * depends on them.
 */
final class GraphPruning {
  private static final Set<String> VARIABLE_OPS = Set.of("VariableV2", "VarHandleOp", "Variable");

  private GraphPruning() {}

  /** A pruned graph and the variables it kept, in graph order. */
  record Pruned(GraphDef graphDef, List<String> variables, int keptNodes, int allNodes) {}

  /**
   * The nodes of {@code full} that {@code roots} need. A node named in {@code cuts} is replaced by
   * the node given there (a placeholder for a fed tensor computed by the training graph), and its
   * inputs are not followed.
   *
   * @throws IllegalArgumentException naming the root if {@code full} has no such node
   */
  static Pruned prune(GraphDef full, Collection<String> roots, Map<String, NodeDef> cuts) {
    Map<String, NodeDef> byName = new HashMap<>();
    for (NodeDef n : full.getNodeList()) {
      byName.put(n.getName(), n);
    }
    Set<String> kept = new LinkedHashSet<>();
    Deque<String> todo = new ArrayDeque<>();
    for (String root : roots) {
      if (!byName.containsKey(root)) {
        throw new IllegalArgumentException("the graph has no operation named '" + root + "'");
      }
      todo.add(root);
    }
    while (!todo.isEmpty()) {
      String name = todo.poll();
      if (!kept.add(name) || cuts.containsKey(name)) {
        continue;
      }
      NodeDef node = byName.get(name);
      for (String input : node.getInputList()) {
        String op = opName(input);
        if (byName.containsKey(op) && !kept.contains(op)) {
          todo.add(op);
        }
      }
    }
    GraphDef.Builder out = full.toBuilder().clearNode().clearLibrary();
    List<String> variables = new java.util.ArrayList<>();
    for (NodeDef n : full.getNodeList()) {
      if (kept.contains(n.getName())) {
        out.addNode(cuts.getOrDefault(n.getName(), n));
        if (VARIABLE_OPS.contains(n.getOp()) && !cuts.containsKey(n.getName())) {
          variables.add(n.getName());
        }
      }
    }
    out.setLibrary(usedFunctions(full.getLibrary(), out.getNodeList()));
    return new Pruned(out.build(), List.copyOf(variables), kept.size(), full.getNodeCount());
  }

  /** Every variable node of {@code graphDef}, in graph order. */
  static List<String> variables(GraphDef graphDef) {
    return graphDef.getNodeList().stream()
        .filter(n -> VARIABLE_OPS.contains(n.getOp()))
        .map(NodeDef::getName)
        .toList();
  }

  /** The op name in a node input: {@code "^op"}, {@code "op:1"} and {@code "op"} all give {@code op}. */
  static String opName(String input) {
    String s = input.startsWith("^") ? input.substring(1) : input;
    int colon = s.lastIndexOf(':');
    return colon < 0 ? s : s.substring(0, colon);
  }

  /** The functions of {@code library} that {@code nodes} call, directly or through other functions. */
  private static FunctionDefLibrary usedFunctions(FunctionDefLibrary library, List<NodeDef> nodes) {
    if (library.getFunctionCount() == 0) {
      return library;
    }
    Map<String, FunctionDef> functions = new HashMap<>();
    library.getFunctionList().forEach(f -> functions.put(f.getSignature().getName(), f));
    Set<String> used = new LinkedHashSet<>();
    Deque<NodeDef> todo = new ArrayDeque<>(nodes);
    while (!todo.isEmpty()) {
      NodeDef n = todo.poll();
      Set<String> called = new LinkedHashSet<>();
      called.add(n.getOp());
      n.getAttrMap().values().forEach(a -> collectFunctionNames(a, called));
      for (String f : called) {
        FunctionDef def = functions.get(f);
        if (def != null && used.add(f)) {
          todo.addAll(def.getNodeDefList());
        }
      }
    }
    FunctionDefLibrary.Builder b = FunctionDefLibrary.newBuilder();
    library.getFunctionList().stream().filter(f -> used.contains(f.getSignature().getName())).forEach(b::addFunction);
    for (GradientDef g : library.getGradientList()) {
      if (used.contains(g.getFunctionName())) {
        b.addGradient(g);
      }
    }
    return b.build();
  }

  private static void collectFunctionNames(AttrValue a, Set<String> out) {
    if (a.hasFunc()) {
      out.add(a.getFunc().getName());
    }
    if (a.hasList()) {
      for (NameAttrList f : a.getList().getFuncList()) {
        out.add(f.getName());
      }
    }
  }
}
