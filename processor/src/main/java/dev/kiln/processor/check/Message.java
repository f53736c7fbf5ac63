package dev.kiln.processor.check;

/**
 * Every diagnostic Kiln reports, in one place. Each carries a bracketed code that tests and the
 * README refer to; the format says what must hold.
 */
public enum Message {
  NOT_A_CLASS("KilnNotAClass", "@Network must be on a class, not on %s %s"),
  LAYER_OUTSIDE_NETWORK(
      "KilnLayerOutsideNetwork",
      "@%s field '%s' is in %s, which is not annotated @Network"),
  STATIC_LAYER(
      "KilnStaticLayer",
      "layer field '%s' must not be static: layers belong to the network declaration; remove 'static'"),
  LAYER_TYPE(
      "KilnLayerType", "layer field '%s' must have type dev.kiln.dsl.Layer, not %s"),
  MODEL_NAME(
      "KilnModelName",
      "@Network name must be a Java identifier (the generated class's simple name), got \"%s\""),
  NAME_CLASH(
      "KilnNameClash",
      "%s and %s would both generate class %s; choose another name for one of them with"
          + " @Network(name = \"...\")"),
  LAYER_CONFLICT(
      "KilnLayerConflict", "field '%s' has both @%s and @%s; a field declares one layer"),
  MISSING_INPUTS(
      "KilnInputs", "@Network needs inputs = <features per sample> (at least 1), got %d"),
  INPUT_SHAPE(
      "KilnInputs",
      "@Network inputShape must be {features}, {steps, features} or {channels, height, width} with every size"
          + " at least 1, got %s"),
  TOKEN_SHAPE(
      "KilnInputs", "@Network inputType = TOKENS needs inputShape = {steps} (one token id per step), got %s"),
  INPUTS_TWICE(
      "KilnInputs", "@Network has inputs = %d and inputShape = %s; give one of them"),
  NO_LAYERS("KilnNoLayers", "network %s declares no layers: add @Dense fields in order"),
  FROM_UNKNOWN(
      "KilnFrom",
      "layer '%s' reads '%s', which is not a layer declared before it; layers declared before it: %s"),
  ARITY("KilnFrom", "@%s '%s' reads %s; it needs %s"),
  UNUSED_LAYER(
      "KilnUnusedLayer",
      "layer '%s' is never read: only the last layer ('%s') may be unread; name it in a later layer's from"),
  TOKENS("KilnTokens", "layer '%s' (@%s) %s"),
  RANK("KilnShape", "%s '%s' needs %s, but its input is %s%s"),
  WINDOW("KilnShape", "%s '%s': window %s does not fit input %s with %s; use a smaller window or padding"),
  INPUT_SHAPES("KilnShape", "%s '%s' needs %s, got %s"),
  UNITS("KilnUnits", "@Dense units must be at least 1, got %d (layer '%s')"),
  DROPOUT_RATE("KilnDropoutRate", "@Dropout rate must be in [0, 1), got %s (layer '%s')"),
  DROPOUT_POSITION(
      "KilnDropoutPosition",
      "@Dropout '%s' must come between two layers (%s)"),
  SOFTMAX_NOT_LAST(
      "KilnSoftmaxPosition",
      "SOFTMAX is only allowed on the last layer; layer '%s' is followed by '%s'"),
  LOSS_UNITS(
      "KilnLossMismatch",
      "loss %s needs %s on the last layer, but '%s' has %d unit(s)"),
  LOSS_ACTIVATION(
      "KilnLossMismatch",
      "loss %s does not fit activation %s of the last layer '%s'; use %s"),
  OPTION_NOT_APPLICABLE("KilnOption", "%s does not apply to %s; remove it"),
  OPTION_CONFLICT("KilnOption", "%s"),
  BAD_VALUE("KilnValue", "%s must be %s, got %s"),
  STATEFUL(
      "KilnStateful",
      "@%s '%s': stateful cannot be combined with bidirectional: the reverse direction reads each sequence from"
          + " its end, so it has no state to carry into the next batch; remove one of them"),
  UNKNOWN_PROCESSOR_OPTION(
      "KilnUnknownOption", "unknown processor option -A%s; Kiln knows: %s"),
  INTERNAL("KilnInternal", "Kiln failed on %s; this is a bug in Kiln, please report it:%n%s");

  private final String code;
  private final String format;

  Message(String code, String format) {
    this.code = code;
    this.format = format;
  }

  /** The bracketed code, e.g. {@code KilnUnits}. */
  public String code() {
    return code;
  }

  /** The message text with its code: {@code [KilnUnits] @Dense units must be at least 1, got 0}. */
  public String format(Object... args) {
    return "[" + code + "] " + String.format(format, args);
  }
}
