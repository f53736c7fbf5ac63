package dev.kiln.runtime.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;

/**
 * Any bytes, read with any options, give a data set or a {@link DataException} naming the source;
 * never another exception, an OutOfMemoryError or a hang. Run as a regression test by {@code mvn
 * verify}; {@code .ci/run} fuzzes it for a few seconds, and the README shows a longer campaign.
 */
class CsvReaderFuzzTest {
  private static final char[] DELIMITERS = {',', ';', '\t', ' ', '|'};

  @FuzzTest(maxDuration = "10s")
  void readsOrThrowsDataException(FuzzedDataProvider data) {
    CsvReader.Builder b = CsvReader.builder().header(data.consumeBoolean()).delimiter(data.pickValue(DELIMITERS));
    switch (data.consumeInt(0, 3)) {
      case 0 -> { } // classification, label last
      case 1 -> b.labelColumn(data.consumeInt(-4, 4)).classes(data.consumeInt(1, 12));
      case 2 -> b.regression();
      default -> b.regression(data.consumeInt(-3, 3), data.consumeInt(-3, 3));
    }
    byte[] bytes = data.consumeRemainingAsBytes();
    try {
      Dataset d = b.build().read(new ByteArrayInputStream(bytes), "fuzz.csv");
      assertTrue(d.rows() > 0 && d.cols() > 0, d.toString());
      assertEquals((long) d.rows() * d.cols(), d.features().length);
    } catch (DataException e) {
      assertTrue(e.getMessage() != null && e.getMessage().startsWith("fuzz.csv: "), e.getMessage());
    }
  }
}
