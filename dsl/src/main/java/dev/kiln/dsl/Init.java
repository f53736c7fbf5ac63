package dev.kiln.dsl;

/** Weight initialisation schemes. Biases always start at zero. */
public enum Init {
  /** He normal for RELU and LEAKY_RELU, Xavier uniform for everything else. */
  AUTO,
  /** N(0, 2/fanIn). */
  HE_NORMAL,
  /** U(-√(6/fanIn), √(6/fanIn)). */
  HE_UNIFORM,
  /** N(0, 2/(fanIn+fanOut)). */
  XAVIER_NORMAL,
  /** U(-√(6/(fanIn+fanOut)), +√(6/(fanIn+fanOut))). */
  XAVIER_UNIFORM
}
