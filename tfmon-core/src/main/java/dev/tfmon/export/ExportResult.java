package dev.tfmon.export;

import java.nio.file.Path;
import java.util.List;

/**
 * A published SavedModel.
 *
 * <pre>{@code
 * ExportResult r = exporter.export(session, ExportDirectory.of(Path.of("/models/spirals")));
 * System.out.println(r.directory() + " " + r.verification().summary());
 * }</pre>
 *
 * @param directory {@code <base>/<version>}
 * @param version the version: the global step, or a timestamp when the graph has no global step
 * @param signatures the signatures written
 * @param variables the variables saved under {@code variables/}, in graph order
 * @param keptNodes the number of graph nodes written (the saver's and the main op's included)
 * @param sourceNodes the number of nodes of the training graph
 * @param verification what was checked after writing
 * @param deletedVersions older exports deleted by the keep-N policy after this one was published
 */
public record ExportResult(
    Path directory,
    long version,
    List<ExportSignature> signatures,
    List<String> variables,
    int keptNodes,
    int sourceNodes,
    Verification verification,
    List<Long> deletedVersions) {

  public ExportResult {
    signatures = List.copyOf(signatures);
    variables = List.copyOf(variables);
    deletedVersions = List.copyOf(deletedVersions);
  }
}
