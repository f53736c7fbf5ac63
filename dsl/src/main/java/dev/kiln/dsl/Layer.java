package dev.kiln.dsl;

/**
 * Marker type for layer fields of a {@link Network} specification class. The fields are never read
 * or written; only their annotations and names matter.
 */
public interface Layer {}
