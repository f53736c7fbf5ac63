package dev.kiln.runtime.kernels;

/**
 * Chooses, once per JVM, between the Vector API kernels and the scalar reference kernels.
 *
 * <p>The vector path is used iff the module {@code jdk.incubator.vector} is in the boot layer and the
 * system property {@code kiln.vector} is not {@code "false"}. Otherwise one warning line goes to
 * {@code System.err}. Only package-private {@code Vector*} classes touch {@code jdk.incubator.vector}
 * types and they are reached only behind {@link #VECTOR}, so every public class loads without the module.
 */
public final class Backend {
  static final boolean VECTOR = select();

  private Backend() {}

  /** True when kernels run on the Vector API, false when they run the scalar reference. */
  public static boolean vectorized() {
    return VECTOR;
  }

  private static boolean select() {
    if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
      System.err.println("kiln: jdk.incubator.vector is not available (run with --add-modules jdk.incubator.vector); using scalar kernels");
      return false;
    }
    if ("false".equalsIgnoreCase(System.getProperty("kiln.vector"))) {
      System.err.println("kiln: vector kernels disabled by -Dkiln.vector=false; using scalar kernels");
      return false;
    }
    return true;
  }
}
