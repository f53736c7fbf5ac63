package dev.kiln.runtime.io;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * An open, validated safetensors file. The header is parsed and checked when the file is opened
 * (every tensor's byte range lies in the data section, matches its shape and dtype, and the ranges
 * tile the data section exactly); tensor data is read on demand. Holds the file open until {@link #close()};
 * reading methods may be called from several threads.
 */
public final class SafeTensorsFile implements AutoCloseable {

  /** Element sizes of the dtypes the format defines; only F32 can be read into floats for now. */
  private static final Map<String, Integer> DTYPE_BYTES = Map.ofEntries(
      Map.entry("BOOL", 1), Map.entry("U8", 1), Map.entry("I8", 1),
      Map.entry("F8_E5M2", 1), Map.entry("F8_E4M3", 1),
      Map.entry("I16", 2), Map.entry("U16", 2), Map.entry("F16", 2), Map.entry("BF16", 2),
      Map.entry("I32", 4), Map.entry("U32", 4), Map.entry("F32", 4),
      Map.entry("I64", 8), Map.entry("U64", 8), Map.entry("F64", 8));

  private static final Set<String> TENSOR_KEYS = Set.of("dtype", "shape", "data_offsets");

  private record Entry(String name, String dtype, int[] shape, long elements, long begin, long end) {
  }

  private final Path path;
  private final FileChannel channel;
  private final long dataStart;
  private final Map<String, String> metadata;
  private final Map<String, Entry> entries;

  private SafeTensorsFile(Path path, FileChannel channel, long dataStart,
      Map<String, String> metadata, Map<String, Entry> entries) {
    this.path = path;
    this.channel = channel;
    this.dataStart = dataStart;
    this.metadata = metadata;
    this.entries = entries;
  }

  static SafeTensorsFile open(Path path) throws IOException {
    Objects.requireNonNull(path, "path");
    FileChannel ch;
    try {
      ch = FileChannel.open(path, StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException(path.toString(), null, "safetensors file not found");
    }
    try {
      return parse(path, ch);
    } catch (IOException | RuntimeException e) {
      try {
        ch.close();
      } catch (IOException closing) {
        e.addSuppressed(closing);
      }
      throw e;
    }
  }

  private static SafeTensorsFile parse(Path path, FileChannel ch) throws IOException {
    long size = ch.size();
    if (size < 8) {
      throw new SafeTensorsFormatException(path,
          "file is " + size + " bytes, shorter than the 8-byte header length");
    }
    ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    readFully(path, ch, prefix, 0);
    long headerLength = prefix.flip().getLong(); // unsigned in the format: negative here means >= 2^63
    if (headerLength < 0 || headerLength > SafeTensors.MAX_HEADER_BYTES) {
      throw new SafeTensorsFormatException(path, "header length " + Long.toUnsignedString(headerLength)
          + " (bytes 0-7) exceeds the limit of " + SafeTensors.MAX_HEADER_BYTES + " bytes");
    }
    if (headerLength > size - 8) {
      throw new SafeTensorsFormatException(path, "header length " + headerLength + " (bytes 0-7) exceeds the "
          + (size - 8) + " bytes that follow it in the file (truncated or not safetensors?)");
    }
    if (headerLength < 2) {
      throw new SafeTensorsFormatException(path, "header length " + headerLength + " is too short for a JSON object");
    }
    ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
    readFully(path, ch, headerBytes, 8);
    headerBytes.flip();
    if (headerBytes.get(0) != '{') {
      throw new SafeTensorsFormatException(path, "header at byte 8 must start with '{' but starts with byte 0x"
          + String.format("%02x", headerBytes.get(0) & 0xff));
    }
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(headerBytes).toString();
    } catch (CharacterCodingException e) {
      throw new SafeTensorsFormatException(path, "header (bytes 8-" + (8 + headerLength - 1)
          + ") is not valid UTF-8");
    }
    Object root;
    try {
      root = Json.parse(text);
    } catch (Json.SyntaxError e) {
      long byteOffset = 8 + utf8Length(text, e.position());
      throw new SafeTensorsFormatException(path, "invalid JSON header at file byte " + byteOffset
          + " (header character " + e.position() + "): " + e.getMessage());
    }
    if (!(root instanceof Map<?, ?> header)) {
      throw new SafeTensorsFormatException(path, "header is not a JSON object");
    }

    long dataStart = 8 + headerLength;
    long dataSize = size - dataStart;
    Map<String, String> metadata = Map.of();
    Map<String, Entry> entries = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : header.entrySet()) {
      String key = (String) e.getKey();
      if (key.equals(SafeTensors.METADATA_KEY)) {
        metadata = metadata(path, e.getValue());
      } else {
        entries.put(key, entry(path, key, e.getValue(), dataSize));
      }
    }
    checkTiling(path, entries.values(), dataStart, dataSize);
    return new SafeTensorsFile(path, ch, dataStart, metadata, Collections.unmodifiableMap(entries));
  }

  private static Map<String, String> metadata(Path path, Object value) throws SafeTensorsFormatException {
    if (!(value instanceof Map<?, ?> map)) {
      throw new SafeTensorsFormatException(path, SafeTensors.METADATA_KEY + " must be a JSON object");
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : map.entrySet()) {
      if (!(e.getValue() instanceof String s)) {
        throw new SafeTensorsFormatException(path, SafeTensors.METADATA_KEY + " value for \"" + e.getKey()
            + "\" must be a string but is " + e.getValue());
      }
      out.put((String) e.getKey(), s);
    }
    return Collections.unmodifiableMap(out);
  }

  private static Entry entry(Path path, String name, Object value, long dataSize) throws SafeTensorsFormatException {
    String where = "tensor '" + name + "': ";
    if (!(value instanceof Map<?, ?> map)) {
      throw new SafeTensorsFormatException(path, where + "entry must be a JSON object");
    }
    for (Object k : map.keySet()) {
      if (!TENSOR_KEYS.contains(k)) {
        throw new SafeTensorsFormatException(path, where + "unexpected key \"" + k + "\"");
      }
    }
    if (!(map.get("dtype") instanceof String dtype)) {
      throw new SafeTensorsFormatException(path, where + "\"dtype\" missing or not a string");
    }
    Integer elementBytes = DTYPE_BYTES.get(dtype);
    if (elementBytes == null) {
      throw new SafeTensorsFormatException(path, where + "unknown dtype \"" + dtype + "\"");
    }
    long[] dims = longs(path, where, map.get("shape"), "shape", -1);
    int[] shape = new int[dims.length];
    for (int i = 0; i < dims.length; i++) {
      if (dims[i] < 0 || dims[i] > Integer.MAX_VALUE) {
        throw new SafeTensorsFormatException(path, where + "dimension " + dims[i] + " in shape "
            + Arrays.toString(dims) + " is out of range");
      }
      shape[i] = (int) dims[i];
    }
    long elements = Tensor.elementCount(shape);
    long[] offsets = longs(path, where, map.get("data_offsets"), "data_offsets", 2);
    long begin = offsets[0];
    long end = offsets[1];
    if (begin < 0 || end < begin) {
      throw new SafeTensorsFormatException(path, where + "data_offsets [" + begin + ", " + end + "] are not a range");
    }
    if (end > dataSize) {
      throw new SafeTensorsFormatException(path, where + "data_offsets [" + begin + ", " + end
          + "] end beyond the data section of " + dataSize + " bytes (file truncated?)");
    }
    // end <= dataSize < 2^63, so a product past that range cannot match anyway
    long expected = elements > Long.MAX_VALUE / elementBytes ? Long.MAX_VALUE : elements * elementBytes;
    if (end - begin != expected) {
      throw new SafeTensorsFormatException(path, where + "data_offsets [" + begin + ", " + end + "] span "
          + (end - begin) + " bytes but " + dtype + " shape " + Arrays.toString(shape) + " needs " + expected);
    }
    return new Entry(name, dtype, shape, elements, begin, end);
  }

  private static long[] longs(Path path, String where, Object value, String key, int requiredLength)
      throws SafeTensorsFormatException {
    if (!(value instanceof List<?> list)) {
      throw new SafeTensorsFormatException(path, where + "\"" + key + "\" missing or not an array");
    }
    if (requiredLength >= 0 && list.size() != requiredLength) {
      throw new SafeTensorsFormatException(path, where + "\"" + key + "\" must have " + requiredLength
          + " elements but has " + list.size());
    }
    long[] out = new long[list.size()];
    for (int i = 0; i < out.length; i++) {
      if (!(list.get(i) instanceof Long l)) {
        throw new SafeTensorsFormatException(path, where + "\"" + key + "\" element " + list.get(i)
            + " is not an integer");
      }
      out[i] = l;
    }
    return out;
  }

  /** The format requires the tensors' byte ranges to cover the data section with no gap and no overlap. */
  private static void checkTiling(Path path, Iterable<Entry> entries, long dataStart, long dataSize)
      throws SafeTensorsFormatException {
    List<Entry> sorted = new ArrayList<>();
    entries.forEach(sorted::add);
    sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
    long covered = 0;
    Entry previous = null;
    for (Entry e : sorted) {
      if (e.begin() < covered) {
        throw new SafeTensorsFormatException(path, "tensor '" + e.name() + "' bytes [" + e.begin() + ", "
            + e.end() + ") overlap tensor '" + previous.name() + "' bytes [" + previous.begin() + ", "
            + previous.end() + ") in the data section");
      }
      if (e.begin() > covered) {
        throw new SafeTensorsFormatException(path, "data section bytes [" + covered + ", " + e.begin()
            + ") (file bytes from " + (dataStart + covered) + ") belong to no tensor");
      }
      covered = e.end();
      previous = e;
    }
    if (covered != dataSize) {
      throw new SafeTensorsFormatException(path, (dataSize - covered) + " trailing bytes after the last tensor"
          + " (data section bytes [" + covered + ", " + dataSize + "), file bytes from "
          + (dataStart + covered) + ") belong to no tensor");
    }
  }

  /** The file this was opened from. */
  public Path path() {
    return path;
  }

  /** The {@code __metadata__} string pairs in file order; empty if the file has none. */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** Tensor names in header order (which is write order for files Kiln wrote). */
  public List<String> names() {
    return List.copyOf(entries.keySet());
  }

  /** Whether the file holds a tensor with this name. */
  public boolean contains(String name) {
    return entries.containsKey(name);
  }

  /** The dtype string of a tensor, such as {@code "F32"}. */
  public String dtype(String name) {
    return entry(name).dtype();
  }

  /** The shape of a tensor (a copy); empty for a scalar. */
  public int[] shape(String name) {
    return entry(name).shape().clone();
  }

  /** The number of elements of a tensor: the product of its shape. */
  public long elementCount(String name) {
    return entry(name).elements();
  }

  /**
   * Reads an F32 tensor into a new array.
   *
   * @throws SafeTensorsFormatException if the tensor is not F32 (valid safetensors, but nothing Kiln
   *     can read into floats) or has more elements than a Java array holds
   */
  public float[] data(String name) throws IOException {
    Entry e = f32(name);
    if (e.elements() > Integer.MAX_VALUE - 8) {
      throw new SafeTensorsFormatException(path, "tensor '" + name + "' has " + e.elements()
          + " elements, more than a Java array holds");
    }
    float[] out = new float[(int) e.elements()];
    readInto(name, out, 0);
    return out;
  }

  /**
   * Reads an F32 tensor into {@code dst} from index {@code offset}, for loading straight into a parameter arena.
   *
   * @throws SafeTensorsFormatException if the tensor is not F32
   */
  public void readInto(String name, float[] dst, int offset) throws IOException {
    Entry e = f32(name);
    Objects.requireNonNull(dst, "dst");
    if (e.elements() > dst.length - (long) offset || offset < 0) {
      throw new IndexOutOfBoundsException("tensor '" + name + "' has " + e.elements() + " elements, which do not"
          + " fit in an array of " + dst.length + " from index " + offset);
    }
    int total = (int) e.elements();
    ByteBuffer chunk = ByteBuffer.allocate((int) Math.min(SafeTensors.IO_CHUNK_BYTES, e.end() - e.begin()))
        .order(ByteOrder.LITTLE_ENDIAN);
    int perChunk = chunk.capacity() / Float.BYTES;
    long position = dataStart + e.begin();
    for (int done = 0; done < total; ) {
      int n = Math.min(perChunk, total - done);
      chunk.clear().limit(n * Float.BYTES);
      readFully(path, channel, chunk, position);
      chunk.flip().asFloatBuffer().get(dst, offset + done, n);
      position += (long) n * Float.BYTES;
      done += n;
    }
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }

  private Entry entry(String name) {
    Entry e = entries.get(name);
    if (e == null) {
      throw new IllegalArgumentException("no tensor '" + name + "' in " + path + "; it holds " + entries.keySet());
    }
    return e;
  }

  private Entry f32(String name) throws SafeTensorsFormatException {
    Entry e = entry(name);
    if (!e.dtype().equals("F32")) {
      throw new SafeTensorsFormatException(path, "tensor '" + name + "' has dtype " + e.dtype()
          + "; Kiln reads F32 tensors only (convert the file, e.g. with tensor.float() in PyTorch)");
    }
    return e;
  }

  private static void readFully(Path path, FileChannel ch, ByteBuffer buf, long position) throws IOException {
    while (buf.hasRemaining()) {
      int n = ch.read(buf, position);
      if (n < 0) {
        throw new EOFException(path + ": unexpected end of file at byte " + position
            + " (was the file changed after it was opened?)");
      }
      position += n;
    }
  }

  private static long utf8Length(String text, int chars) {
    return StandardCharsets.UTF_8.encode(CharBuffer.wrap(text, 0, Math.min(chars, text.length()))).remaining();
  }
}
