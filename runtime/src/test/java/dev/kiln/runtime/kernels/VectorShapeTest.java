package dev.kiln.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/**
 * The species and register file the kernels were initialised with. The kernel tests run once per
 * forced shape (the surefire executions {@code shape-*} in runtime/pom.xml); this test proves each
 * execution really ran the shape it asked for, so none of them silently re-tests the default.
 */
class VectorShapeTest {
  @Test
  void speciesIsTheForcedOneWhenTheJvmOffersIt() {
    assumeTrue(Backend.vectorized(), "Vector API module not present");
    String bits = System.getProperty("kiln.vectorBits");
    int preferred = FloatVector.SPECIES_PREFERRED.vectorBitSize();
    if (bits == null) {
      assertEquals(preferred, VectorShape.FLOAT.vectorBitSize());
    } else if (Integer.parseInt(bits) <= preferred) {
      assertEquals(Integer.parseInt(bits), VectorShape.FLOAT.vectorBitSize(), VectorShape.describe());
    } else {
      // Wider than the hardware: refused with a warning, the preferred species is used instead.
      assertEquals(preferred, VectorShape.FLOAT.vectorBitSize(), VectorShape.describe());
    }
    assertEquals(VectorShape.FLOAT.length(), VectorKernels.L);
  }

  @Test
  void registerFileAndTileFollowTheJvm() {
    assumeTrue(Backend.vectorized(), "Vector API module not present");
    String forced = System.getProperty("kiln.vectorRegisters");
    if (forced != null) {
      assertEquals(Integer.parseInt(forced), VectorShape.REGISTERS);
    } else if (System.getProperty("os.arch").equals("amd64")) {
      // x86: 32 registers exactly when HotSpot uses AVX-512 (UseAVX=3), e.g. not under -XX:UseAVX=2.
      assertEquals(VectorShape.hotSpotUseAvx() >= 3 ? 32 : 16, VectorShape.REGISTERS, VectorShape.describe());
    }
    assertEquals(VectorShape.REGISTERS >= 32 ? 8 : 4, VectorShape.TILE_ROWS);
    assertEquals(VectorShape.TILE_ROWS, VectorKernels.TM);
    // A TM x 2 tile of accumulators plus two B vectors and the TM broadcasts of a step must fit the
    // register file: C2 loads every broadcast of a step before its FMAs (6x2 and 5x2 tiles spilled on 16).
    assertTrue(3 * VectorShape.TILE_ROWS + 2 <= VectorShape.REGISTERS, VectorShape.describe());
  }
}
