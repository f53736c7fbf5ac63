package dev.kiln.runtime.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cross-checks against an independent implementation: a plain-Python (struct + json) reader and writer
 * that follow the format description. Skipped when python3 is not installed.
 */
class SafeTensorsPythonTest {

  /** Reads a safetensors file and prints "meta key value" and "tensor name dims... : values..." lines. */
  private static final String PY_READ = """
      import json, struct, sys
      raw = open(sys.argv[1], 'rb').read()
      (n,) = struct.unpack('<Q', raw[:8])
      header = json.loads(raw[8:8 + n].decode('utf-8'))
      data = raw[8 + n:]
      assert (8 + n) % 8 == 0, 'data section not 8-byte aligned'
      for k, v in header.pop('__metadata__', {}).items():
          print('meta', json.dumps(k), json.dumps(v))
      end = 0
      for name, info in header.items():
          assert info['dtype'] == 'F32'
          begin, stop = info['data_offsets']
          assert begin == end, 'not contiguous in order'
          count = 1
          for d in info['shape']:
              count *= d
          assert stop - begin == 4 * count
          values = struct.unpack('<%df' % count, data[begin:stop])
          print('tensor', json.dumps(name), json.dumps(info['shape']), json.dumps(list(values)))
          end = stop
      assert end == len(data), 'data not fully covered'
      """;

  /** Writes a file the way the reference implementation lays it out: compact JSON, keys sorted, padded. */
  private static final String PY_WRITE = """
      import json, struct, sys
      tensors = {'layer.weight': ([2, 3], [0.5, -1.25, 3.0, 1e-7, -0.0, 65504.0]),
                 'layer.bias': ([3], [0.1, 0.2, 0.3]),
                 'count': ([], [42.0])}
      header = {'__metadata__': {'framework': 'numpy-free python'}}
      blob = b''
      for name in sorted(tensors):
          shape, values = tensors[name]
          raw = struct.pack('<%df' % len(values), *values)
          header[name] = {'dtype': 'F32', 'shape': shape, 'data_offsets': [len(blob), len(blob) + len(raw)]}
          blob += raw
      text = json.dumps(header, separators=(',', ':')).encode('utf-8')
      text += b' ' * (-len(text) % 8)
      open(sys.argv[1], 'wb').write(struct.pack('<Q', len(text)) + text + blob)
      """;

  @TempDir
  Path dir;

  @BeforeAll
  static void requirePython() {
    boolean available;
    try {
      Process p = new ProcessBuilder("python3", "-c", "import json, struct").redirectErrorStream(true).start();
      available = p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException | InterruptedException e) {
      available = false;
    }
    Assumptions.assumeTrue(available, "python3 not available");
  }

  @Test
  void pythonReadsWhatJavaWrites() throws Exception {
    Path file = dir.resolve("java.safetensors");
    float[] arena = {1.5f, -2f, 3.25f, 4f, 5f, 6f, 0.1f, Float.MAX_VALUE, -Float.MIN_VALUE, 7f};
    SafeTensors.write(file, Map.of("kiln.network", "Mlp \"v1\" é"), List.of(
        Tensor.slice("w", arena, 0, 2, 3),
        Tensor.slice("b", arena, 6, 3),
        Tensor.slice("s", arena, 9)));

    List<String> lines = run(PY_READ, file);
    assertEquals(List.of(
        "meta \"kiln.network\" \"Mlp \\\"v1\\\" \\u00e9\"",
        "tensor \"w\" [2, 3] " + pythonList(arena, 0, 6),
        "tensor \"b\" [3] " + pythonList(arena, 6, 3),
        "tensor \"s\" [] " + pythonList(arena, 9, 1)), lines);
  }

  @Test
  void javaReadsWhatPythonWrites() throws Exception {
    Path file = dir.resolve("python.safetensors");
    run(PY_WRITE, file);
    try (SafeTensorsFile f = SafeTensors.read(file)) {
      assertEquals(Map.of("framework", "numpy-free python"), f.metadata());
      assertEquals(List.of("count", "layer.bias", "layer.weight"), f.names());
      assertArrayEquals(new int[] {2, 3}, f.shape("layer.weight"));
      assertArrayEquals(new int[] {}, f.shape("count"));
      assertArrayEquals(new float[] {0.5f, -1.25f, 3.0f, 1e-7f, -0.0f, 65504.0f}, f.data("layer.weight"));
      assertArrayEquals(new float[] {0.1f, 0.2f, 0.3f}, f.data("layer.bias"));
      assertArrayEquals(new float[] {42f}, f.data("count"));
    }
  }

  /** Python prints a float32 widened to double with repr; Java's Double.toString agrees on those values. */
  private static String pythonList(float[] a, int from, int n) {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < n; i++) {
      b.append(i == 0 ? "" : ", ").append(pythonRepr(a[from + i]));
    }
    return b.append(']').toString();
  }

  private static String pythonRepr(float f) {
    double d = f;
    if (d == Math.rint(d) && Math.abs(d) < 1e16) {
      return (long) d + ".0";
    }
    return Double.toString(d).replace("E", "e").replaceAll("e(\\d)", "e+$1");
  }

  private List<String> run(String script, Path file) throws Exception {
    Path py = dir.resolve("script.py");
    Files.writeString(py, script);
    Process p = new ProcessBuilder("python3", py.toString(), file.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("python3 timed out");
    }
    assertEquals(0, p.exitValue(), () -> "python3 failed:\n" + out);
    return out.lines().toList();
  }
}
