package dev.kiln.runtime.model;

/** Token ids held as floats (in data sets and {@code predict}) checked and copied into an int arena. */
final class TokenIds {
  /** Ids must be exact in a float: whole numbers below 2^24. */
  static final int LIMIT = 1 << 24;

  private TokenIds() {}

  /**
   * Copies {@code count} ids of {@code x} from {@code xOff} into {@code ids} from {@code idsOff}.
   *
   * @param steps ids per sample, to name the sample and step of a bad id
   * @throws IllegalArgumentException naming the sample and step of an id that is negative, not a
   *     whole number, or not below 2^24
   */
  static void copy(float[] x, int xOff, int count, int steps, int[] ids, int idsOff) {
    for (int i = 0; i < count; i++) {
      float v = x[xOff + i];
      int id = (int) v;
      if (id != v || id < 0 || id >= LIMIT) {
        throw new IllegalArgumentException("sample " + i / steps + ", step " + i % steps + " holds " + v
            + ", which is not a token id (a whole number in [0, 2^24)); were the texts encoded with the model's"
            + " vocabulary?");
      }
      ids[idsOff + i] = id;
    }
  }
}
