package dev.tfmon.cli;

import dev.tfmon.checkpoint.CheckpointReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.exceptions.TensorFlowException;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tfmon predict}: loads a SavedModel with TF Java's {@code SavedModelBundle} (as a Java
 * service would), runs one signature on the rows of a CSV file and prints the outputs as CSV, one
 * line per row, so a served model can be checked without writing code.
 *
 * <pre>{@code
 * tfmon predict --saved-model exports/spirals --data eval.csv --output predictions.csv
 * }</pre>
 */
@Command(
    name = "predict",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Run a SavedModel's signature on the rows of a CSV file and print the outputs as CSV.",
      "A single input takes the first columns (as many as its shape has); name them with --input otherwise.",
      "Each output becomes one column per value of a row: key (one value), or key_0, key_1, ..."
    })
final class PredictCommand implements Callable<Integer> {
  @Option(names = "--saved-model", required = true, paramLabel = "DIR",
      description = "A SavedModel directory, or a directory of exports (its newest version is used).")
  Path savedModel;

  @Option(names = "--data", required = true, paramLabel = "FILE.csv", description = "Rows to predict (a header line, numbers only).")
  Path data;

  @Option(names = "--signature", defaultValue = "serving_default", paramLabel = "NAME",
      description = "The signature to run (default: ${DEFAULT-VALUE}).")
  String signature;

  @Option(names = "--tag", paramLabel = "TAG", description = "The MetaGraph's tags (repeatable; default: serve).")
  List<String> tags;

  @Option(names = "--input", paramLabel = "KEY=COL[,COL...]",
      description = "Feed these CSV columns to signature input KEY (repeatable).")
  List<String> inputs;

  @Option(names = "--output", paramLabel = "FILE.csv", description = "Write the predictions here instead of printing them.")
  Path output;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    Path dir = SavedModelText.resolve(savedModel);
    InputPaths.readableFile("--data", data);
    List<String> chosenTags = tags == null || tags.isEmpty() ? List.of("serve") : tags;
    SignatureDef def = signatureDef(SavedModelText.read(dir), dir, chosenTags);
    CsvTable table = CsvTable.read(data);
    Map<String, int[]> columns = columns(def, table);
    Map<String, Tensor> fed = new LinkedHashMap<>();
    List<String> described = new ArrayList<>();
    try (SavedModelBundle bundle = load(dir, chosenTags)) {
      for (Map.Entry<String, int[]> c : columns.entrySet()) {
        TensorInfo info = def.getInputsOrThrow(c.getKey());
        fed.put(c.getKey(), CsvTensors.of(info.getDtype(), CheckpointReader.shapeOf(info.getTensorShape()),
            "input '" + c.getKey() + "'", table, 0, table.rows().size(), c.getValue()));
        List<String> names = new ArrayList<>();
        for (int i : c.getValue()) {
          names.add(table.header().get(i));
        }
        described.add(c.getKey() + " <- " + String.join(",", names));
      }
      List<String> outputKeys = new ArrayList<>(new TreeMap<>(def.getOutputsMap()).keySet());
      Session.Runner runner = bundle.session().runner();
      fed.forEach((k, t) -> runner.feed(def.getInputsOrThrow(k).getName(), t));
      outputKeys.forEach(k -> runner.fetch(def.getOutputsOrThrow(k).getName()));
      String csv;
      try (Result result = run(runner)) {
        csv = csv(outputKeys, result, table.rows().size());
      }
      String what = String.format("%s signature '%s' on %d rows of %s (%s)", dir, signature, table.rows().size(), data,
          String.join("; ", described));
      if (output != null) {
        try {
          Files.writeString(output, csv, StandardCharsets.UTF_8);
        } catch (IOException e) {
          throw CliException.failure("cannot write --output " + output + ": " + e.getMessage(), e);
        }
        PrintWriter out = spec.commandLine().getOut();
        out.printf("predicted with %s%nwrote %s (%d rows, columns %s)%n", what, output, table.rows().size(),
            csv.substring(0, csv.indexOf('\n')));
        out.flush();
      } else {
        // The predictions alone go to stdout, so they can be piped; what ran goes to stderr.
        PrintWriter err = spec.commandLine().getErr();
        err.printf("predicted with %s%n", what);
        err.flush();
        PrintWriter out = spec.commandLine().getOut();
        out.print(csv);
        out.flush();
      }
    } finally {
      fed.values().forEach(Tensor::close);
    }
    return 0;
  }

  private SignatureDef signatureDef(SavedModel model, Path dir, List<String> chosenTags) {
    for (MetaGraphDef meta : model.getMetaGraphsList()) {
      if (Set.copyOf(meta.getMetaInfoDef().getTagsList()).equals(Set.copyOf(chosenTags))) {
        SignatureDef def = meta.getSignatureDefMap().get(signature);
        if (def == null) {
          throw CliException.usage("--signature '" + signature + "' is not in " + dir + "; its signatures are "
              + new TreeMap<>(meta.getSignatureDefMap()).keySet());
        }
        return def;
      }
    }
    List<List<String>> all = new ArrayList<>();
    model.getMetaGraphsList().forEach(m -> all.add(m.getMetaInfoDef().getTagsList()));
    throw CliException.usage("no MetaGraph of " + dir + " has tags " + chosenTags + "; it has " + all);
  }

  /** The CSV columns of each input: from {@code --input}, or the first ones for a single input. */
  private Map<String, int[]> columns(SignatureDef def, CsvTable table) {
    Map<String, int[]> out = new LinkedHashMap<>();
    if (inputs != null) {
      for (String in : inputs) {
        int eq = in.indexOf('=');
        if (eq <= 0 || eq == in.length() - 1) {
          throw CliException.usage("--input '" + in + "': expected KEY=COLUMN[,COLUMN...]");
        }
        String key = in.substring(0, eq);
        if (!def.getInputsMap().containsKey(key)) {
          throw CliException.usage("--input " + key + "=...: signature '" + signature + "' has no input '" + key
              + "'; its inputs are " + new TreeMap<>(def.getInputsMap()).keySet());
        }
        String[] names = in.substring(eq + 1).split(",");
        int[] cols = new int[names.length];
        for (int i = 0; i < names.length; i++) {
          cols[i] = table.columnIndex(names[i].strip(), "--input " + key + "=... column");
        }
        checkWidth(key, def.getInputsOrThrow(key), cols.length);
        out.put(key, cols);
      }
      List<String> missing = new ArrayList<>(new TreeMap<>(def.getInputsMap()).keySet());
      missing.removeAll(out.keySet());
      if (!missing.isEmpty()) {
        throw CliException.usage("signature '" + signature + "' also needs input(s) " + missing + ": add --input KEY=COLUMN,...");
      }
      return out;
    }
    if (def.getInputsCount() != 1) {
      throw CliException.usage("signature '" + signature + "' has inputs " + new TreeMap<>(def.getInputsMap()).keySet()
          + ": say which CSV columns feed each with --input KEY=COLUMN,...");
    }
    String key = def.getInputsMap().keySet().iterator().next();
    Shape shape = CheckpointReader.shapeOf(def.getInputsOrThrow(key).getTensorShape());
    int width = shape.isUnknown() || shape.numDimensions() != 2 || shape.get(1) < 0
        ? (shape.numDimensions() == 1 ? 1 : table.header().size()) : (int) shape.get(1);
    if (width > table.header().size()) {
      throw CliException.usage("input '" + key + "' takes " + width + " values per row, but " + data + " has only "
          + table.header().size() + " columns " + table.header());
    }
    int[] cols = new int[width];
    for (int i = 0; i < width; i++) {
      cols[i] = i;
    }
    out.put(key, cols);
    return out;
  }

  private void checkWidth(String key, TensorInfo info, int columns) {
    Shape shape = CheckpointReader.shapeOf(info.getTensorShape());
    if (shape.isUnknown()) {
      return;
    }
    long width = shape.numDimensions() == 2 ? shape.get(1) : shape.numDimensions() == 1 ? 1 : -2;
    if (width == -2 || (width >= 0 && width != columns)) {
      throw CliException.usage("--input " + key + "=...: input '" + key + "' has shape "
          + CheckpointReader.shapeText(shape) + ", which does not take " + columns + " column(s) per row");
    }
  }

  private static SavedModelBundle load(Path dir, List<String> tags) {
    try {
      return SavedModelBundle.loader(dir.toString()).withTags(tags.toArray(new String[0])).load();
    } catch (TensorFlowException e) {
      throw CliException.failure("cannot load SavedModel " + dir + ": " + firstLine(e.getMessage()), e);
    }
  }

  private Result run(Session.Runner runner) {
    try {
      return runner.run();
    } catch (TensorFlowException e) {
      throw CliException.failure("signature '" + signature + "' failed: " + firstLine(e.getMessage()), e);
    }
  }

  /** The outputs as CSV: a header, then one line per row. */
  private static String csv(List<String> keys, Result result, int rows) {
    List<String> header = new ArrayList<>(List.of("row"));
    List<List<String>> values = new ArrayList<>();
    List<Integer> widths = new ArrayList<>();
    for (int k = 0; k < keys.size(); k++) {
      Tensor t = result.get(k);
      Shape s = t.shape();
      if (s.numDimensions() == 0 || s.get(0) != rows) {
        throw CliException.failure("output '" + keys.get(k) + "' has shape " + CheckpointReader.shapeText(s)
            + ", not one value or row per input row (" + rows + ")");
      }
      int width = (int) (s.size() / rows);
      widths.add(width);
      if (width == 1) {
        header.add(keys.get(k));
      } else {
        for (int j = 0; j < width; j++) {
          header.add(keys.get(k) + "_" + j);
        }
      }
      values.add(TensorText.values(t));
    }
    StringWriter w = new StringWriter();
    w.append(String.join(",", header)).append('\n');
    for (int r = 0; r < rows; r++) {
      StringBuilder line = new StringBuilder(Integer.toString(r));
      for (int k = 0; k < keys.size(); k++) {
        int width = widths.get(k);
        for (int j = 0; j < width; j++) {
          line.append(',').append(values.get(k).get(r * width + j));
        }
      }
      w.append(line).append('\n');
    }
    return w.toString();
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "(no message)";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }
}
