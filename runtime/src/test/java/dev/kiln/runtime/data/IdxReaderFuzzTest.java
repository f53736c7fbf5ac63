package dev.kiln.runtime.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;

/**
 * Any bytes (plain or gzip) give an IDX array or a {@link DataException} naming the source; a
 * header claiming gigabytes of data in a few bytes of file must not allocate them.
 */
class IdxReaderFuzzTest {
  @FuzzTest(maxDuration = "10s")
  void readsOrThrowsDataException(byte[] bytes) {
    try {
      IdxArray a = IdxReader.read(new ByteArrayInputStream(bytes), "fuzz.idx");
      long size = 1;
      for (int d : a.dims()) {
        size *= d;
      }
      assertEquals(size, a.size());
      assertEquals(a.size(), a.toFloats(1f).length);
    } catch (DataException e) {
      assertTrue(e.getMessage() != null && e.getMessage().startsWith("fuzz.idx: "), e.getMessage());
    }
  }
}
