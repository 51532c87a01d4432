package dev.tfmon.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;

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
   * their sorted distinct values become classes 0..K-1), every other column is a feature.
   *
   * @throws CliException usage error if the label column does not exist, failure if the file is
   *     ragged, not numeric or has fewer than two classes
   */
  static Dataset fromCsv(Path file, String labelColumn) {
    CsvTable table = CsvTable.read(file);
    int label = table.columnIndex(labelColumn, "--label-column");
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
    List<String> featureNames = new ArrayList<>(table.header());
    featureNames.remove(label);
    float[][] x = new float[table.rows().size()][featureNames.size()];
    int[] y = new int[x.length];
    for (int i = 0; i < x.length; i++) {
      double[] row = table.rows().get(i);
      for (int c = 0, f = 0; c < row.length; c++) {
        if (c != label) {
          x[i][f++] = (float) row[c];
        }
      }
      y[i] = classes.indexOf(row[label]);
    }
    return new Dataset(
        file + " (" + x.length + " rows, " + featureNames.size() + " features, " + classes.size() + " classes)",
        x, y, featureNames, classNames);
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
