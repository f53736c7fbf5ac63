package dev.kiln.processor.op;

/**
 * A parameter tensor an op declares.
 *
 * @param key suffix of its saved name ({@code kernel} gives {@code conv1.kernel})
 * @param shape row-major shape
 * @param initializer name of a {@code dev.kiln.runtime.model.Initializer} constant
 * @param fanIn inputs per output unit (for the initializer)
 * @param fanOut outputs per input unit (for the initializer)
 * @param trained false for state the forward pass maintains (running statistics)
 */
public record ParamDecl(String key, int[] shape, String initializer, int fanIn, int fanOut, boolean trained) {
  public static ParamDecl trained(String key, int[] shape, String initializer, int fanIn, int fanOut) {
    return new ParamDecl(key, shape, initializer, fanIn, fanOut, true);
  }

  public static ParamDecl state(String key, int[] shape, String initializer) {
    return new ParamDecl(key, shape, initializer, 1, 1, false);
  }

  public int length() {
    int n = 1;
    for (int d : shape) {
      n = Math.multiplyExact(n, d);
    }
    return n;
  }
}
