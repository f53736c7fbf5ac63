package dev.kiln.runtime.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.kernels.SplitMix64;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class TokenSamplerTest {
  private static int[] histogram(TokenSampler s, float[] probs, float temperature, int topK, int draws) {
    int[] counts = new int[probs.length];
    float[] scratch = new float[probs.length];
    for (int i = 0; i < draws; i++) {
      counts[s.sampleFromProbabilities(probs, 0, probs.length, temperature, topK, scratch)]++;
    }
    return counts;
  }

  @Test
  void argmaxTakesTheLowestIndexOfEqualMaxima() {
    assertEquals(1, TokenSampler.argmax(new float[] {9, 1, 5, 5, 2}, 1, 4));
    assertEquals(0, TokenSampler.argmax(new float[] {Float.NEGATIVE_INFINITY}, 0, 1));
    assertThrows(IllegalArgumentException.class, () -> TokenSampler.argmax(new float[] {1, Float.NaN}, 0, 2));
    assertThrows(IllegalArgumentException.class, () -> TokenSampler.argmax(new float[3], 1, 0));
  }

  @Test
  void drawsFollowTheProbabilitiesAtTemperatureOne() {
    float[] p = {0.1f, 0.2f, 0.0f, 0.7f};
    int n = 100_000;
    int[] c = histogram(new TokenSampler(1), p, 1f, 0, n);
    assertEquals(0, c[2], "zero probability is never drawn");
    for (int i = 0; i < p.length; i++) {
      assertEquals(p[i], c[i] / (double) n, 0.01, "token " + i + ": " + Arrays.toString(c));
    }
  }

  @Test
  void logitsAreSoftmaxedAndTemperatureReshapes() {
    float[] logits = {(float) Math.log(1), (float) Math.log(3)}; // softmax: 0.25, 0.75
    float[] scratch = new float[2];
    TokenSampler s = new TokenSampler(5);
    int n = 50_000;
    int ones = 0;
    int onesHot = 0;
    for (int i = 0; i < n; i++) {
      ones += s.sampleFromLogits(logits, 0, 2, 1f, 0, scratch);
      onesHot += s.sampleFromLogits(logits, 0, 2, 0.5f, 0, scratch); // p^2: 1/10, 9/10
    }
    assertEquals(0.75, ones / (double) n, 0.01);
    assertEquals(0.9, onesHot / (double) n, 0.01);
    assertEquals(1, s.sampleFromLogits(logits, 0, 2, 0f, 0, scratch), "temperature 0 is greedy");
    // a high temperature flattens towards uniform
    int[] flat = histogram(new TokenSampler(2), new float[] {0.25f, 0.75f}, 1000f, 0, n);
    assertEquals(0.5, flat[1] / (double) n, 0.01);
  }

  @Test
  void topKKeepsOnlyTheMostLikelyAndTiesGoToLowerIds() {
    float[] p = {0.05f, 0.3f, 0.05f, 0.4f, 0.2f};
    int[] c = histogram(new TokenSampler(3), p, 1f, 2, 50_000);
    assertEquals(0, c[0] + c[2] + c[4], Arrays.toString(c));
    assertEquals(0.3 / 0.7, c[1] / 50_000.0, 0.01);
    float[] tied = {0.2f, 0.2f, 0.2f, 0.4f};
    int[] t = histogram(new TokenSampler(4), tied, 1f, 2, 10_000);
    assertEquals(0, t[1] + t[2], "of three tied tokens only the lowest id fits under k = 2: " + Arrays.toString(t));
    assertTrue(t[0] > 0 && t[3] > 0);
    assertEquals(1, histogram(new TokenSampler(4), tied, 1f, 1, 100)[3] / 100, "top-1 is greedy");
    int[] all = histogram(new TokenSampler(4), tied, 1f, 99, 10_000);
    assertTrue(Arrays.stream(all).allMatch(x -> x > 0), "k above the size keeps every token");
  }

  @Test
  void kthLargestMatchesSorting() {
    SplitMix64 r = new SplitMix64(7);
    for (int trial = 0; trial < 500; trial++) {
      int n = 1 + r.nextInt(40);
      float[] a = new float[n];
      for (int i = 0; i < n; i++) {
        a[i] = r.nextInt(6) - 2; // many ties
      }
      if (n > 2) {
        a[r.nextInt(n)] = Float.NEGATIVE_INFINITY;
      }
      float[] sorted = a.clone();
      Arrays.sort(sorted);
      int k = 1 + r.nextInt(n);
      assertEquals(sorted[n - k], TokenSampler.kthLargest(a.clone(), n, k), Arrays.toString(a) + " k=" + k);
    }
  }

  @Test
  void theSameSeedGivesTheSameTextAndStateResumesIt() {
    float[] p = {0.1f, 0.2f, 0.3f, 0.4f};
    float[] scratch = new float[4];
    TokenSampler a = new TokenSampler(42);
    TokenSampler b = new TokenSampler(42);
    int[] seqA = new int[50];
    for (int i = 0; i < 50; i++) {
      seqA[i] = a.sampleFromProbabilities(p, 0, 4, 1f, 3, scratch);
      assertEquals(seqA[i], b.sampleFromProbabilities(p, 0, 4, 1f, 3, scratch));
    }
    TokenSampler c = new TokenSampler(43);
    int[] seqC = new int[50];
    for (int i = 0; i < 50; i++) {
      seqC[i] = c.sampleFromProbabilities(p, 0, 4, 1f, 3, scratch);
    }
    assertNotEquals(Arrays.toString(seqA), Arrays.toString(seqC));
    long saved = a.state();
    int next = a.sampleFromProbabilities(p, 0, 4, 1f, 0, scratch);
    b.setState(saved);
    assertEquals(next, b.sampleFromProbabilities(p, 0, 4, 1f, 0, scratch));
  }

  @Test
  void badInputIsNamed() {
    TokenSampler s = new TokenSampler(0);
    float[] scratch = new float[3];
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> s.sampleFromProbabilities(new float[] {0.5f, -0.1f, 0.6f}, 0, 3, 1f, 0, scratch));
    assertTrue(e.getMessage().contains("probability 1 is -0.1"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> s.sampleFromLogits(new float[] {0, Float.NaN, 0}, 0, 3, 1f, 0, scratch));
    assertTrue(e.getMessage().contains("logit 1 is NaN"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> s.sampleFromProbabilities(new float[3], 0, 3, 1f, 0, scratch));
    assertThrows(IllegalArgumentException.class, () -> s.sampleFromProbabilities(new float[] {1, 0, 0}, 0, 3, -1f, 0, scratch));
    assertThrows(IllegalArgumentException.class, () -> s.sampleFromProbabilities(new float[] {1, 0, 0}, 0, 3, 1f, -1, scratch));
    assertThrows(IllegalArgumentException.class, () -> s.sampleFromProbabilities(new float[] {1, 0, 0}, 0, 3, 1f, 0, new float[2]));
    assertEquals(1, s.sampleFromLogits(new float[] {Float.NEGATIVE_INFINITY, 2, Float.NEGATIVE_INFINITY}, 0, 3, 1f, 0, scratch));
  }

  @Test
  void samplingAllocatesNothing() {
    float[] logits = new float[5000];
    SplitMix64 r = new SplitMix64(1);
    for (int i = 0; i < logits.length; i++) {
      logits[i] = r.nextFloat() * 8;
    }
    float[] probs = new float[logits.length];
    for (int i = 0; i < probs.length; i++) {
      probs[i] = (float) Math.exp(logits[i]);
    }
    float[] scratch = new float[logits.length];
    TokenSampler s = new TokenSampler(9);
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    int sum = 0;
    for (int warm = 0; warm < 3000; warm++) {
      sum += s.sampleFromLogits(logits, 0, logits.length, 0.8f, 40, scratch);
    }
    // The least of up to 5 windows: a late deoptimization allocates once, an allocation per draw in every window.
    long allocated = Long.MAX_VALUE;
    for (int window = 0; window < 5 && allocated >= 1000; window++) {
      long before = threads.getCurrentThreadAllocatedBytes();
      for (int k = 0; k < 200; k++) {
        sum += s.sampleFromLogits(logits, 0, logits.length, 0.8f, 40, scratch);
        sum += s.sampleFromProbabilities(probs, 0, probs.length, 1f, 0, scratch);
      }
      allocated = Math.min(allocated, threads.getCurrentThreadAllocatedBytes() - before);
    }
    assertTrue(sum >= 0);
    assertTrue(allocated < 1000, allocated + " bytes allocated by 400 draws");
  }
}
