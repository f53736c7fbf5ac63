package dev.kiln.runtime.kernels;

import java.lang.management.ManagementFactory;
import java.util.Locale;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector species every kernel uses and the register file it is tiled for, chosen once at class
 * initialisation. Touch it only when {@link Backend#vectorized()} is true: it links against
 * {@code jdk.incubator.vector}.
 *
 * <ul>
 *   <li>Species: {@code FloatVector.SPECIES_PREFERRED}, or the one of {@code -Dkiln.vectorBits=128|256|512}
 *       when the JVM offers it (a wider one than the machine has would run in the Vector API's slow
 *       Java fallback, so it is refused with a warning).
 *   <li>Registers: 32 where the JIT can address 32 vector registers (x86 with AVX-512 enabled, i.e.
 *       HotSpot's {@code UseAVX} is 3, also for 256-bit vectors through AVX-512VL; AArch64), else 16
 *       (AVX2, also AVX-512 hardware run with {@code -XX:UseAVX=2}). {@code -Dkiln.vectorRegisters=16|32}
 *       overrides it.
 *   <li>GEMM register tile: {@link #TILE_ROWS} rows × 2 vectors, i.e. 16 accumulators with 32 registers
 *       (8×2) and 8 with 16 registers (4×2). C2 loads all of a step's broadcasts of A before its FMAs, so
 *       a tile needs 2·rows + 2 + rows registers: 6×2 and 5×2 spilled one accumulator to the stack on
 *       every step in some JVMs (the GEMM ran at about half its speed in those), 4×2 fits in 14.
 * </ul>
 */
public final class VectorShape {
  /** The float species of every vector kernel. */
  public static final VectorSpecies<Float> FLOAT = species();
  /** Vector registers the tiles are sized for. */
  public static final int REGISTERS = registers();
  /** Rows of the main GEMM register tile (its width is two vectors). */
  public static final int TILE_ROWS = REGISTERS >= 32 ? 8 : 4;

  private VectorShape() {}

  /** One line for benchmark headers and logs, e.g. {@code 512-bit species (16 floats), 32 registers, 8x2 tile}. */
  public static String describe() {
    return String.format(Locale.ROOT, "%d-bit species (%d floats), %d vector registers, %dx2 GEMM tile",
        FLOAT.vectorBitSize(), FLOAT.length(), REGISTERS, TILE_ROWS);
  }

  private static VectorSpecies<Float> species() {
    int bits = forcedChoice("kiln.vectorBits", 64, 128, 256, 512);
    if (bits == 0) {
      return FloatVector.SPECIES_PREFERRED;
    }
    VectorSpecies<Float> wanted = switch (bits) {
      case 64 -> FloatVector.SPECIES_64;
      case 128 -> FloatVector.SPECIES_128;
      case 256 -> FloatVector.SPECIES_256;
      default -> FloatVector.SPECIES_512;
    };
    if (wanted.vectorBitSize() > FloatVector.SPECIES_PREFERRED.vectorBitSize()) {
      System.err.println("kiln: -Dkiln.vectorBits=" + bits + " is wider than this JVM's preferred "
          + FloatVector.SPECIES_PREFERRED.vectorBitSize() + "-bit species; using that one");
      return FloatVector.SPECIES_PREFERRED;
    }
    return wanted;
  }

  /**
   * The value of {@code -Dproperty}, one of {@code allowed}, or 0 when it is not set; anything else is
   * refused naming the property, the allowed values and what was given.
   */
  static int forcedChoice(String property, int... allowed) {
    String text = System.getProperty(property);
    if (text == null || text.isBlank()) {
      return 0;
    }
    for (int v : allowed) {
      if (text.trim().equals(Integer.toString(v))) {
        return v;
      }
    }
    StringBuilder choices = new StringBuilder();
    for (int i = 0; i < allowed.length; i++) {
      choices.append(i == 0 ? "" : i == allowed.length - 1 ? " or " : ", ").append(allowed[i]);
    }
    throw new IllegalArgumentException("-D" + property + " must be " + choices + ", got '" + text + "'");
  }

  private static int registers() {
    int forced = forcedChoice("kiln.vectorRegisters", 16, 32);
    if (forced != 0) {
      return forced;
    }
    String arch = System.getProperty("os.arch", "");
    if (arch.equals("aarch64") || arch.equals("riscv64")) {
      return 32;
    }
    return hotSpotUseAvx() >= 3 ? 32 : 16;
  }

  /** HotSpot's {@code UseAVX} level (3 = AVX-512 in use), or 0 where the option cannot be read. */
  static int hotSpotUseAvx() {
    try {
      var bean = ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
      return Integer.parseInt(bean.getVMOption("UseAVX").getValue());
    } catch (RuntimeException | LinkageError e) {
      return 0;
    }
  }
}
