/**
 * ONNX export of trained Kiln networks: {@link dev.kiln.onnx.OnnxExport} turns a model's inference
 * graph and weights into an ONNX model built with the protobuf classes of the official {@code
 * onnx.proto} (shipped by Tribuo's {@code tribuo-util-onnx}).
 */
package dev.kiln.onnx;
