/**
 * Data for training: in-memory {@link dev.kiln.runtime.data.Dataset} tables, readers for IDX
 * ({@link dev.kiln.runtime.data.IdxReader}, {@link dev.kiln.runtime.data.FashionMnist}) and numeric
 * CSV ({@link dev.kiln.runtime.data.CsvReader}), seeded stratified splits, normalization fitted on
 * training data ({@link dev.kiln.runtime.data.Normalizer}), and allocation-free epoch shuffling and
 * batch gathering ({@link dev.kiln.runtime.data.EpochOrder}).
 *
 * <p>For sequence models: token vocabularies ({@link dev.kiln.runtime.data.Vocabulary}, {@link
 * dev.kiln.runtime.data.WordTokenizer}) and texts encoded into padded rows of ids ({@link
 * dev.kiln.runtime.data.SequenceEncoder}, {@link dev.kiln.runtime.data.LabelledTexts}); language-model
 * rows with a label per step cut from one long text ({@link dev.kiln.runtime.data.TextStreams});
 * windows over a time series split by time ({@link dev.kiln.runtime.data.TimeSeriesWindows}); and
 * the next token's choice during generation ({@link dev.kiln.runtime.data.TokenSampler}).
 *
 * <p>Error conventions: a malformed in-memory argument is an {@link IllegalArgumentException}; a
 * file that is missing, unreadable or malformed is a {@link dev.kiln.runtime.data.DataException}
 * (an {@link java.io.IOException}) whose message names the file and where in it the problem is.
 * Lines in messages are 1-based like an editor's; rows, columns and byte offsets are 0-based like
 * the API.
 *
 * <p>Every seeded operation uses a fixed SplitMix64 generator, so results for a seed do not change
 * with the JDK version.
 */
package dev.kiln.runtime.data;
