package dev.kiln.processor.ir;

/** The kinds of IR nodes, each with its fusion class. */
public enum OpKind {
  INPUT(FusionClass.OPAQUE, "Input"),
  DENSE(FusionClass.OUT_ELEMENTWISE_FUSABLE, "Dense"),
  DROPOUT(FusionClass.ELEMENTWISE, "Dropout");

  private final FusionClass fusionClass;
  private final String displayName;

  OpKind(FusionClass fusionClass, String displayName) {
    this.fusionClass = fusionClass;
    this.displayName = displayName;
  }

  public FusionClass fusionClass() {
    return fusionClass;
  }

  /** The name shown in summaries and architecture strings. */
  public String displayName() {
    return displayName;
  }
}
