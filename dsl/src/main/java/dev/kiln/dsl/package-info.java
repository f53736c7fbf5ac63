/**
 * The annotations a Kiln network is declared with: {@link dev.kiln.dsl.Network} on a class, layer
 * annotations such as {@link dev.kiln.dsl.Dense} and {@link dev.kiln.dsl.Dropout} on its fields.
 */
package dev.kiln.dsl;
