package dev.tfmon.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorShapeProto;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

/**
 * Issue 13, the pieces of a verified export: zero samples of the declared shape, and the comparison
 * of the export's outputs with the session's.
 */
class VerificationPartsTest {

  @Test
  void zeroSamplesHaveTheDeclaredShapeWithUnknownDimensionsOne() {
    TensorShapeProto declared = TensorShapeProto.newBuilder()
        .addDim(TensorShapeProto.Dim.newBuilder().setSize(-1))
        .addDim(TensorShapeProto.Dim.newBuilder().setSize(70_000))
        .build();
    Shape shape = SampleInputs.concreteShape(declared, "input 'x'");
    assertThat(shape).isEqualTo(Shape.of(1, 70_000));
    // larger than one block of the zero-filling loop, so every block is cleared
    try (TFloat32 f = (TFloat32) SampleInputs.zeros(DataType.DT_FLOAT, shape, "input 'x'");
        TInt64 i = (TInt64) SampleInputs.zeros(DataType.DT_INT64, Shape.of(3), "input 'n'");
        TBool b = (TBool) SampleInputs.zeros(DataType.DT_BOOL, Shape.of(2), "input 'mask'")) {
      assertThat(ExportModel.floats(f)).hasSize(70_000).containsOnly(0f);
      assertThat(new long[] {i.getLong(0), i.getLong(1), i.getLong(2)}).containsOnly(0L);
      assertThat(new boolean[] {b.getBoolean(0), b.getBoolean(1)}).containsOnly(false);
    }
    assertThatThrownBy(() -> SampleInputs.zeros(DataType.DT_STRING, Shape.of(1), "input 'text'"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("input 'text' is DT_STRING, which has no zero sample: give a sample input");
    assertThatThrownBy(() -> SampleInputs.concreteShape(TensorShapeProto.newBuilder().setUnknownRank(true).build(), "input 'x'"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("input 'x' has an unknown rank, so no zero sample can be made: give a sample input");
  }

  @Test
  void floatsCompareWithinARelativeToleranceAndEverythingElseExactly() {
    try (TFloat32 expected = TFloat32.vectorOf(1f, 1000f, Float.NaN);
        TFloat32 close = TFloat32.vectorOf(1f + 5e-7f, 1000.0005f, Float.NaN);
        TFloat32 far = TFloat32.vectorOf(1.00001f, 1000f, Float.NaN);
        TFloat32 otherShape = TFloat32.vectorOf(1f, 1000f);
        TInt64 a = TInt64.vectorOf(1, 2);
        TInt64 b = TInt64.vectorOf(1, 3);
        TString s1 = TString.vectorOf("a", "b");
        TString s2 = TString.vectorOf("a", "c")) {
      TensorComparison.Difference d = TensorComparison.compare(expected, close, 1e-6);
      assertThat(d.within()).isTrue();
      assertThat(d.maxDifference()).isGreaterThan(0).isLessThan(1e-3);
      TensorComparison.Difference bad = TensorComparison.compare(expected, far, 1e-6);
      assertThat(bad.within()).isFalse();
      assertThat(bad.detail()).startsWith("value 0 is 1.0000100135803223 instead of 1.0");
      assertThat(TensorComparison.compare(expected, otherShape, 1e-6).detail()).isEqualTo("shape [2] instead of [3]");
      assertThat(TensorComparison.compare(a, a, 0).within()).isTrue();
      assertThat(TensorComparison.compare(a, b, 1e-6).within()).isFalse();
      assertThat(TensorComparison.compare(s1, s2, 1e-6).detail()).isEqualTo("value 1 is 'c' instead of 'b'");
      assertThat(TensorComparison.compare(a, expected, 1e-6).detail()).isEqualTo("dtype DT_FLOAT instead of DT_INT64");
    }
  }
}
