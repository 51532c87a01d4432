package dev.tfmon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.types.TString;

/** How {@code inspect --tensor} shows strings (issue 11 item 13): never raw bytes on the terminal. */
class TensorTextTest {
  private static String shown(String s) {
    return TensorText.string(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void textIsQuotedAndEscaped() {
    // issue 11 item 13
    assertThat(shown("alpha")).isEqualTo("\"alpha\"");
    assertThat(shown("")).isEqualTo("\"\"");
    assertThat(shown("a \"b\" \\ c\td\ne\r")).isEqualTo("\"a \\\"b\\\" \\\\ c\\td\\ne\\r\"");
    assertThat(shown("\u03b2eta, UTF-8")).isEqualTo("\"\u03b2eta, UTF-8\"");
  }

  @Test
  void bytesThatAreNotTextShowTheirLengthAndAHexPrefix() {
    // issue 11 item 13: control characters, invalid UTF-8, and a long binary value
    assertThat(shown("bell\u0007")).isEqualTo("<5 bytes 62656c6c07>");
    assertThat(TensorText.string(new byte[] {(byte) 0xff, 'a'})).isEqualTo("<2 bytes ff61>");
    byte[] blob = new byte[40];
    for (int i = 0; i < blob.length; i++) {
      blob[i] = (byte) i;
    }
    assertThat(TensorText.string(blob)).isEqualTo("<40 bytes 000102030405060708090a0b0c0d0e0f...>");
    try (TString t = TString.tensorOfBytes(NdArrays.vectorOfObjects("ok".getBytes(StandardCharsets.UTF_8), blob))) {
      assertThat(t.shape()).isEqualTo(Shape.of(2));
      assertThat(TensorText.format(t, 20)).isEqualTo("[\"ok\", <40 bytes 000102030405060708090a0b0c0d0e0f...>]");
    }
  }
}
