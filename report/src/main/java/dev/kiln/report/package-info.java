/**
 * Evaluation reports and pictures for any Kiln model, through the runtime's {@code Model} interface.
 *
 * <ul>
 *   <li>{@link dev.kiln.report.ClassificationReport}: accuracy, per-class precision / recall / F1,
 *       macro and weighted averages, confusion matrix, ROC / AUC (binary), calibration (ECE).
 *   <li>{@link dev.kiln.report.RegressionReport}: MSE, MAE, R².
 *   <li>{@link dev.kiln.report.Charts}: loss and accuracy curves, confusion heat map, reliability
 *       diagram, ROC curve (XChart), written as PNG and SVG.
 *   <li>{@link dev.kiln.report.TrainingReport}: one self-contained HTML page per training run.
 * </ul>
 *
 * <p>This module depends on XChart; the runtime itself stays free of third-party dependencies.
 */
package dev.kiln.report;
