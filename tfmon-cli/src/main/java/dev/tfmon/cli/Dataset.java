package dev.tfmon.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * A classification data set held in memory: one float feature row and one class index per example.
 * {@link #spirals} is the built-in, deterministic one; {@link #fromCsv} reads the user's.
 *
 * <pre>{@code
 * Dataset all = Dataset.spirals(1000, 3, 42);
 * Dataset.Split split = all.split(0.2, 7);   // 2400 train, 600 eval
 * }</pre>
 *
 * @param name what it is, for messages
 * @param features examples × features, row-major
 * @param labels the class index of each example, in {@code [0, classNames.size())}
 * @param featureNames one name per feature column
 * @param classNames the label value of each class index
 */
record Dataset(
    String name, float[][] features, int[] labels, List<String> featureNames, List<String> classNames) {

  Dataset {
    if (features.length != labels.length) {
      throw new IllegalArgumentException(
          "expected one label per example, but got " + features.length + " examples and " + labels.length + " labels");
    }
    featureNames = List.copyOf(featureNames);
    classNames = List.copyOf(classNames);
  }

  int size() {
    return labels.length;
  }

  int numFeatures() {
    return featureNames.size();
  }

  int numClasses() {
    return classNames.size();
  }

  /** Training and evaluation parts. */
  record Split(Dataset train, Dataset eval) {}

  /**
   * Interleaved 2-D spirals, one arm per class, with Gaussian noise: not separable by a line, so a
   * multi-layer model is needed and its accuracy climbs visibly during training. Deterministic for
   * a given seed.
   */
  static Dataset spirals(int pointsPerClass, int classes, long seed) {
    Random random = new Random(seed);
    int n = pointsPerClass * classes;
    float[][] x = new float[n][2];
    int[] y = new int[n];
    List<String> names = new ArrayList<>();
    for (int c = 0; c < classes; c++) {
      names.add(Integer.toString(c));
      for (int i = 0; i < pointsPerClass; i++) {
        int k = c * pointsPerClass + i;
        double r = (double) i / pointsPerClass;
        double angle = c * 2 * Math.PI / classes + r * 1.75 * Math.PI + random.nextGaussian() * 0.25;
        x[k][0] = (float) (r * Math.cos(angle));
        x[k][1] = (float) (r * Math.sin(angle));
        y[k] = c;
      }
    }
    return new Dataset(
        "spirals (" + n + " points, " + classes + " classes, seed " + seed + ")", x, y, List.of("x0", "x1"), names);
  }

  /**
   * A data set from a CSV file with a header: {@code labelColumn} holds the classes (any numbers;
   * their sorted distinct values become classes 0..K-1); the features are {@code featureColumns}
   * when given, else every other column not in {@code ignoreColumns}. A feature column that counts
   * the rows (0, 1, 2, ... as pandas writes its index) is reported to {@code warnings}.
   *
   * @param featureColumns the feature columns, or empty for all the others
   * @throws CliException usage error if a named column does not exist or the selection leaves no
   *     feature; failure if the file is ragged, not numeric, has no feature column or fewer than
   *     two classes
   */
  static Dataset fromCsv(
      Path file, String labelColumn, List<String> featureColumns, List<String> ignoreColumns,
      Consumer<String> warnings) {
    CsvTable table = CsvTable.read(file);
    int label = table.columnIndex(labelColumn, "--label-column");
    if (table.header().size() == 1) {
      throw CliException.failure(file + " has no feature columns: its only column is the label '" + labelColumn + "'");
    }
    List<Integer> features = new ArrayList<>();
    if (!featureColumns.isEmpty()) {
      for (String name : featureColumns) {
        int c = table.columnIndex(name, "--feature-columns");
        if (c == label) {
          throw CliException.usage("--feature-columns names the label column '" + name + "'");
        }
        features.add(c);
      }
    } else {
      List<Integer> ignored = new ArrayList<>();
      for (String name : ignoreColumns) {
        ignored.add(table.columnIndex(name, "--ignore-columns"));
      }
      for (int c = 0; c < table.header().size(); c++) {
        if (c != label && !ignored.contains(c)) {
          features.add(c);
        }
      }
      if (features.isEmpty()) {
        throw CliException.usage("--ignore-columns " + String.join(",", ignoreColumns) + " leaves " + file
            + " with no feature columns");
      }
    }
    for (int c : features) {
      if (table.looksLikeRowIndex(c)) {
        String name = table.header().get(c);
        warnings.accept("column '" + name + "' of " + file + " counts the rows (" + (long) table.rows().get(0)[c]
            + ", " + (long) table.rows().get(1)[c] + ", " + (long) table.rows().get(2)[c]
            + ", ...), like the index column pandas writes; it is used as a feature. "
            + "Leave it out with --ignore-columns '" + name + "'");
      }
    }
    TreeSet<Double> distinct = new TreeSet<>();
    for (double[] row : table.rows()) {
      distinct.add(row[label]);
    }
    if (distinct.size() < 2) {
      throw CliException.failure(
          "label column '" + labelColumn + "' of " + file + " holds " + distinct.size()
              + " distinct value(s) " + distinct + "; a classifier needs at least 2 classes");
    }
    List<Double> classes = new ArrayList<>(distinct);
    List<String> classNames = new ArrayList<>();
    classes.forEach(v -> classNames.add(v == Math.rint(v) ? Long.toString(v.longValue()) : v.toString()));
    List<String> featureNames = new ArrayList<>();
    features.forEach(c -> featureNames.add(table.header().get(c)));
    float[][] x = new float[table.rows().size()][features.size()];
    int[] y = new int[x.length];
    for (int i = 0; i < x.length; i++) {
      double[] row = table.rows().get(i);
      for (int f = 0; f < features.size(); f++) {
        x[i][f] = (float) row[features.get(f)];
      }
      y[i] = classes.indexOf(row[label]);
    }
    return new Dataset(
        file + " (" + x.length + " rows, " + featureNames.size() + " features, " + classes.size() + " classes)",
        x, y, featureNames, classNames);
  }

  /**
   * These rows with their class indices renumbered to {@code train}'s classes (matched by label
   * value), for evaluating a model trained on {@code train}.
   *
   * @throws CliException failure naming {@code what} and the label, if a label is no class of
   *     {@code train}
   */
  Dataset withClassesOf(Dataset train, String what) {
    int[] y = new int[labels.length];
    for (int i = 0; i < y.length; i++) {
      String label = classNames.get(labels[i]);
      int c = train.classNames().indexOf(label);
      if (c < 0) {
        throw CliException.failure(what + ": label " + label + " is not a class of the training data (its classes are "
            + String.join(", ", train.classNames()) + ")");
      }
      y[i] = c;
    }
    return new Dataset(name, features, y, featureNames, train.classNames());
  }

  /**
   * A deterministic shuffle, then the last {@code evalFraction} of the examples for evaluation.
   */
  Split split(double evalFraction, long seed) {
    int n = size();
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Random random = new Random(seed);
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    int evalSize = Math.max(1, (int) Math.round(n * evalFraction));
    if (evalSize >= n) {
      throw CliException.failure(name + " has " + n + " examples: too few to keep some for evaluation");
    }
    return new Split(subset(order, 0, n - evalSize, "train"), subset(order, n - evalSize, n, "eval"));
  }

  private Dataset subset(int[] order, int from, int to, String part) {
    float[][] x = new float[to - from][];
    int[] y = new int[to - from];
    for (int i = from; i < to; i++) {
      x[i - from] = features[order[i]];
      y[i - from] = labels[order[i]];
    }
    return new Dataset(name + " " + part, x, y, featureNames, classNames);
  }
}
