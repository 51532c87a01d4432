package dev.tfmon.summary;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** The record framing test vectors of spec TFR-2 and TFR-3. */
class TfRecordsTest {
  private static final HexFormat HEX = HexFormat.of();

  @Test
  void crc32cAndMaskMatchTensorFlowVectors_TFR2_TFR3() {
    byte[] digits = "123456789".getBytes(StandardCharsets.US_ASCII);
    assertThat(TfRecords.crc32c(digits, 0, digits.length))
        .as("CRC-32C of '123456789'")
        .isEqualTo(0xE3069283);
    assertThat(TfRecords.maskedCrc32c(digits, 0, digits.length))
        .as("masked CRC-32C of '123456789'")
        .isEqualTo(0xC78AB0E5);
    assertThat(TfRecords.unmask(0xC78AB0E5)).as("unmask reverses mask").isEqualTo(0xE3069283);
  }

  @Test
  void framesEmptyAndHelloRecordsByteForByte_TFR1_TFR3() {
    assertThat(HEX.formatHex(TfRecords.frame(new byte[0])))
        .as("record of empty data")
        .isEqualTo("0000000000000000" + "29039807" + "d8ea82a2");
    assertThat(HEX.formatHex(TfRecords.frame("hello".getBytes(StandardCharsets.US_ASCII))))
        .as("record of 'hello'")
        .isEqualTo("0500000000000000" + "eab2043e" + "68656c6c6f" + "bb1f1c19");
  }
}
