"""Check cells of lesson 08 (noise removal)."""

import numpy as np

from .. import metrics
from . import Wrong, exercise, expect_close


@exercise("Exercise 1 (PSNR)")
def psnr(student_psnr):
    """``student_psnr(reference, estimate)`` -> mean over images of 10 log10(1 / MSE)."""
    rng = np.random.default_rng(0)
    ref = rng.random((3, 8, 8, 1)).astype("float32")
    est = np.clip(ref + 0.05 * rng.standard_normal(ref.shape), 0, 1).astype("float32")
    got = float(np.asarray(student_psnr(ref, est)))
    want = metrics.psnr(ref, est)
    per_pixel = 10 * np.log10(1.0 / np.mean((ref - est) ** 2))
    if abs(got - want) > 1e-3 and abs(got - per_pixel) > 1e-3:
        if abs(got - np.sqrt(np.mean((ref - est) ** 2))) < 1e-6 or got < 1:
            raise Wrong("this looks like an error, not a PSNR in dB: take 10 * log10(1 / MSE).")
        if abs(got - 20 * np.log10(1.0 / np.mean((ref - est) ** 2))) < 1e-3:
            raise Wrong("use 10 * log10 of 1 / MSE (or 20 * log10 of 1 / RMSE), not 20 * log10(1 / MSE).")
        expect_close(got, want, "your PSNR", rtol=1e-4)
    return f"{got:.2f} dB, as scikit-image computes it."
