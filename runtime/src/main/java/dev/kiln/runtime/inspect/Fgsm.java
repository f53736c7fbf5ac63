package dev.kiln.runtime.inspect;

/**
 * The fast gradient sign method (Goodfellow et al. 2015) and its L2 form (the fast gradient
 * method): one step of length ε up the gradient of each sample's loss against its true label,
 * {@code x + ε·sign(∇x loss)} for L∞ and {@code x + ε·∇x loss / ‖∇x loss‖} for L2, then clipped to
 * the valid range. It is {@link Pgd} with one step of size ε and no random start; configure the
 * range on the result: {@code Fgsm.linf(0.1f).range(0, 1)}.
 */
public final class Fgsm {
  private Fgsm() {}

  /** FGSM in the L∞ ball of radius {@code epsilon}. */
  public static Pgd linf(float epsilon) {
    return Pgd.fgsm(Pgd.Norm.LINF, epsilon);
  }

  /** The fast gradient method in the L2 ball of radius {@code epsilon}. */
  public static Pgd l2(float epsilon) {
    return Pgd.fgsm(Pgd.Norm.L2, epsilon);
  }
}
