package dev.kiln.processor.op;

/**
 * A tensor an op's forward keeps for its backward, besides its output.
 *
 * @param key name within the op ({@code mask}, {@code argmax}, {@code pre})
 * @param size elements per sample, or in all when not {@code perSample}
 * @param ints whether it lives in the int arena
 * @param perSample whether it scales with the batch (per-batch statistics do not)
 * @param description what it holds, for the generated comment
 */
public record SavedDecl(String key, int size, boolean ints, boolean perSample, String description) {
  public static SavedDecl floats(String key, int size, String description) {
    return new SavedDecl(key, size, false, true, description);
  }

  public static SavedDecl ints(String key, int size, String description) {
    return new SavedDecl(key, size, true, true, description);
  }

  public static SavedDecl perBatch(String key, int size, String description) {
    return new SavedDecl(key, size, false, false, description);
  }
}
