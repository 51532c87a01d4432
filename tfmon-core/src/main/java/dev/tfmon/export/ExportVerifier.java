package dev.tfmon.export;

import dev.tfmon.checkpoint.CheckpointReader;
import dev.tfmon.runtime.RunnableSession;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.runtime.Runner;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.exceptions.TensorFlowException;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;

/**
 * Loads a written SavedModel the way a user would (TF Java's {@code SavedModelBundle}, in a new
 * graph and session), runs each signature on a sample and compares the outputs with the training
 * session's for the same sample.
 */
final class ExportVerifier {
  private ExportVerifier() {}

  /**
   * @param samples signature name to input key to the caller's sample (missing keys get zeros)
   * @throws ExportVerificationException if an output differs beyond {@code tolerance}
   * @throws IllegalStateException if the SavedModel does not load or a signature does not run
   */
  static Verification verify(
      Path dir,
      List<String> tags,
      RunnableSession source,
      List<ExportSignature> signatures,
      Map<String, Map<String, Tensor>> samples,
      double tolerance) {
    List<Verification.SignatureCheck> checks = new ArrayList<>();
    try (SavedModelBundle bundle = load(dir, tags)) {
      for (ExportSignature signature : signatures) {
        SignatureDef def = bundle.metaGraphDef().getSignatureDefMap().get(signature.name());
        if (def == null) {
          throw new IllegalStateException(
              "the written SavedModel has no signature '" + signature.name() + "' when loaded back; it has "
                  + bundle.metaGraphDef().getSignatureDefMap().keySet());
        }
        checks.add(check(bundle.session(), source, signature, def, samples.getOrDefault(signature.name(), Map.of()), tolerance));
      }
    }
    return new Verification(true, tolerance, checks);
  }

  private static SavedModelBundle load(Path dir, List<String> tags) {
    try {
      return SavedModelBundle.loader(dir.toString()).withTags(tags.toArray(new String[0])).load();
    } catch (TensorFlowException e) {
      throw new IllegalStateException(
          "the written SavedModel does not load with TF Java's SavedModelBundle: " + firstLine(e.getMessage()), e);
    }
  }

  private static Verification.SignatureCheck check(
      Session loaded,
      RunnableSession source,
      ExportSignature signature,
      SignatureDef def,
      Map<String, Tensor> given,
      double tolerance) {
    Map<String, Tensor> inputs = new LinkedHashMap<>();
    List<Tensor> made = new ArrayList<>();
    Map<String, String> described = new LinkedHashMap<>();
    try {
      for (Map.Entry<String, TensorInfo> e : def.getInputsMap().entrySet()) {
        String what = "signature '" + signature.name() + "' input '" + e.getKey() + "'";
        Tensor t = given.get(e.getKey());
        String origin = "given";
        if (t == null) {
          t = SampleInputs.zeros(e.getValue().getDtype(), SampleInputs.concreteShape(e.getValue().getTensorShape(), what), what);
          made.add(t);
          origin = "zeros";
        }
        inputs.put(e.getKey(), t);
        described.put(e.getKey(), origin + " " + CheckpointReader.typeName(t.dataType()) + " " + CheckpointReader.shapeText(t.shape()));
      }
      List<String> outputKeys = new ArrayList<>(def.getOutputsMap().keySet());
      Session.Runner fromExport = loaded.runner();
      Runner fromSession = source.runner();
      for (Map.Entry<String, Tensor> in : inputs.entrySet()) {
        fromExport.feed(def.getInputsOrThrow(in.getKey()).getName(), in.getValue());
        fromSession.feed(signature.inputs().get(in.getKey()), in.getValue());
      }
      for (String key : outputKeys) {
        fromExport.fetch(def.getOutputsOrThrow(key).getName());
        fromSession.fetch(signature.outputs().get(key));
      }
      Map<String, Double> differences = new LinkedHashMap<>();
      try (Result actual = runExport(fromExport, signature);
          RunResult expected = fromSession.run()) {
        for (int i = 0; i < outputKeys.size(); i++) {
          TensorComparison.Difference d = TensorComparison.compare(expected.get(i), actual.get(i), tolerance);
          differences.put(outputKeys.get(i), d.maxDifference());
          if (!d.within()) {
            throw new ExportVerificationException(
                "export refused: signature '" + signature.name() + "' output '" + outputKeys.get(i)
                    + "' of the written SavedModel differs from the training session on " + String.join(", ", described.values())
                    + ": " + d.detail() + " (max |diff| " + d.maxDifference() + ", tolerance " + tolerance + ")",
                signature.name(), outputKeys.get(i), d.maxDifference());
          }
        }
      }
      return new Verification.SignatureCheck(signature.name(), described, differences);
    } finally {
      made.forEach(Tensor::close);
    }
  }

  private static Result runExport(Session.Runner runner, ExportSignature signature) {
    try {
      return runner.run();
    } catch (TensorFlowException e) {
      throw new IllegalStateException(
          "signature '" + signature.name() + "' of the written SavedModel does not run: " + firstLine(e.getMessage()), e);
    }
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "(no message)";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }
}
