package dev.kiln.runtime.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {
  @TempDir
  Path dir;

  @Test
  void readsUnsignedBytesPlainAndGzipByContentNotName() throws IOException {
    byte[] plain = IdxFiles.images(3, 2, 2);
    // names deliberately misleading: gzip is detected by the 1f 8b magic
    Path p = IdxFiles.write(dir, "a.gz", plain);
    Path g = IdxFiles.write(dir, "b.idx", IdxFiles.gzip(plain));
    for (Path path : new Path[] {p, g}) {
      IdxArray a = IdxReader.read(path);
      assertEquals(IdxArray.Type.UNSIGNED_BYTE, a.type());
      assertArrayEquals(new int[] {3, 2, 2}, a.dims());
      assertEquals(12, a.size());
      assertEquals(7 + 2, a.getInt(6)); // image 1, pixel 2
      float[] f = a.toFloats(0.5f);
      assertEquals(4.5f, f[6]);
    }
  }

  @Test
  void unsignedByteAbove127StaysPositive() throws IOException {
    IdxArray a = IdxReader.read(new ByteArrayInputStream(IdxFiles.idx(0x08, new int[] {2}, new byte[] {(byte) 255, 1})), "mem");
    assertEquals(255, a.getInt(0));
    assertEquals(255f, a.toFloats(1)[0]);
  }

  @Test
  void readsWiderTypesBigEndian() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    DataOutputStream o = new DataOutputStream(b);
    o.writeShort(-300);
    o.writeShort(1000);
    IdxArray s = IdxReader.read(new ByteArrayInputStream(IdxFiles.idx(0x0B, new int[] {2}, b.toByteArray())), "s");
    assertArrayEquals(new int[] {-300, 1000}, s.toInts());

    b.reset();
    o.writeInt(123456789);
    IdxArray i = IdxReader.read(new ByteArrayInputStream(IdxFiles.idx(0x0C, new int[] {1}, b.toByteArray())), "i");
    assertEquals(123456789, i.getInt(0));

    b.reset();
    o.writeFloat(1.5f);
    o.writeFloat(-2.25f);
    IdxArray f = IdxReader.read(new ByteArrayInputStream(IdxFiles.idx(0x0D, new int[] {1, 2}, b.toByteArray())), "f");
    assertArrayEquals(new float[] {1.5f, -2.25f}, f.toFloats(1));
    assertThrows(IllegalStateException.class, () -> f.getInt(0));

    b.reset();
    o.writeDouble(0.125);
    IdxArray d = IdxReader.read(new ByteArrayInputStream(IdxFiles.idx(0x0E, new int[] {1}, b.toByteArray())), "d");
    assertEquals(0.125, d.getDouble(0));

    IdxArray sb = IdxReader.read(new ByteArrayInputStream(IdxFiles.idx(0x09, new int[] {1}, new byte[] {-5})), "sb");
    assertEquals(-5, sb.getInt(0));
  }

  @Test
  void truncatedDataNamesPathOffsetAndExpectedBytes() throws IOException {
    byte[] full = IdxFiles.images(10, 4, 4); // 16 header bytes + 160 data bytes
    Path p = IdxFiles.write(dir, "cut.idx", Arrays.copyOf(full, 16 + 100));
    var e = assertThrows(DataException.class, () -> IdxReader.read(p));
    assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("truncated at byte 116: expected 160 bytes of data"), e.getMessage());
    assertTrue(e.getMessage().contains("got 100"), e.getMessage());
  }

  @Test
  void truncatedGzipIsReported() throws IOException {
    byte[] gz = IdxFiles.gzip(IdxFiles.images(2000, 8, 8)); // 128000 data bytes
    Path p = IdxFiles.write(dir, "cut.gz", Arrays.copyOf(gz, gz.length / 2));
    var e = assertThrows(DataException.class, () -> IdxReader.read(p));
    assertTrue(e.getMessage().contains(p.toString()) && e.getMessage().contains("truncated"), e.getMessage());
    assertTrue(e.getMessage().contains("at byte "), e.getMessage());
    assertTrue(!e.getMessage().contains("got 0 "), "should report the bytes decompressed before the cut: " + e.getMessage());
  }

  @Test
  void truncatedHeaderNamesTheDimension() throws IOException {
    byte[] full = IdxFiles.images(1, 2, 2);
    Path p = IdxFiles.write(dir, "head.idx", Arrays.copyOf(full, 10));
    var e = assertThrows(DataException.class, () -> IdxReader.read(p));
    assertTrue(e.getMessage().contains("truncated at byte 10: expected dimension 1 of 3"), e.getMessage());
  }

  @Test
  void badMagicIsReportedAtByteZero() throws IOException {
    Path p = IdxFiles.write(dir, "text.idx", "hello world".getBytes());
    var e = assertThrows(DataException.class, () -> IdxReader.read(p));
    assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("bad magic at byte 0: expected 00 00"), e.getMessage());
    assertTrue(e.getMessage().contains("found 68 65"), e.getMessage());
  }

  @Test
  void unsupportedTypeCodeIsReportedAtByteTwo() throws IOException {
    Path p = IdxFiles.write(dir, "t.idx", IdxFiles.idx(0x07, new int[] {1}, new byte[1]));
    var e = assertThrows(DataException.class, () -> IdxReader.read(p));
    assertTrue(e.getMessage().contains("unsupported type code 0x07 at byte 2"), e.getMessage());
  }

  @Test
  void trailingBytesAreRejected() throws IOException {
    byte[] full = IdxFiles.images(1, 2, 2);
    Path p = IdxFiles.write(dir, "long.idx", Arrays.copyOf(full, full.length + 3));
    var e = assertThrows(DataException.class, () -> IdxReader.read(p));
    assertTrue(e.getMessage().contains("unexpected data at byte 20"), e.getMessage());
  }

  @Test
  void missingFileNamesThePath() {
    Path p = dir.resolve("nope-idx1-ubyte.gz");
    var e = assertThrows(DataException.class, () -> IdxReader.read(p));
    assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("no such file"), e.getMessage());
  }

  @Test
  void idxClassificationBuildsScaledRows() throws IOException {
    Path img = IdxFiles.write(dir, "img", IdxFiles.gzip(IdxFiles.images(3, 2, 2)));
    Path lab = IdxFiles.write(dir, "lab", IdxFiles.labels(2, 0, 1));
    Dataset d = Idx.classification(img, lab, 3, 1 / 255f, "tiny");
    assertEquals("tiny", d.name());
    assertEquals(3, d.rows());
    assertEquals(4, d.cols());
    assertArrayEquals(new int[] {2, 0, 1}, d.labels());
    assertEquals(8 / 255f, d.features()[5], 1e-7f); // image 1 pixel 1: 7 + 1
  }

  @Test
  void idxClassificationRejectsCountMismatchAndBadLabels() throws IOException {
    Path img = IdxFiles.write(dir, "img", IdxFiles.images(3, 2, 2));
    Path two = IdxFiles.write(dir, "two", IdxFiles.labels(0, 1));
    var e = assertThrows(DataException.class, () -> Idx.classification(img, two, 2, 1, "x"));
    assertTrue(e.getMessage().contains("3 images") && e.getMessage().contains("2 labels"), e.getMessage());
    Path bad = IdxFiles.write(dir, "bad", IdxFiles.labels(0, 1, 5));
    var l = assertThrows(DataException.class, () -> Idx.classification(img, bad, 3, 1, "x"));
    assertTrue(l.getMessage().contains("label 2 is 5"), l.getMessage());
  }

  @Test
  void aHeaderClaimingGigabytesInAFewBytesFailsWithoutAllocatingThem() {
    // 2 x 32767 x 32767 unsigned bytes = 2 GiB claimed, 3 bytes present.
    byte[] file = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0x7f, (byte) 0xff, 0, 0, 0x7f, (byte) 0xff, 1, 2, 3};
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    long before = threads.getCurrentThreadAllocatedBytes();
    DataException e = assertThrows(DataException.class,
        () -> IdxReader.read(new ByteArrayInputStream(file), "huge.idx"));
    long allocated = threads.getCurrentThreadAllocatedBytes() - before;
    assertTrue(e.getMessage().startsWith("huge.idx: truncated at byte 19: expected 2147352578 bytes of data"),
        e.getMessage());
    assertTrue(allocated < 8 << 20, allocated + " bytes allocated for a 19-byte file");
  }
}
