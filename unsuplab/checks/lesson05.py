"""Checks for lesson 05 (denoising autoencoder)."""

import numpy as np

from . import Wrong, changed_inputs, exercise, expect_shape


@exercise("Exercise 1 (salt-and-pepper corruption)")
def salt_and_pepper(student_fn):
    """``student_fn(x, amount, seed)`` must set a fraction ``amount`` of pixels to 0 or 1 (half each), a new array."""
    x = np.full((50, 20, 20, 1), 0.5, dtype="float32")
    original = x.copy()
    for amount in (0.1, 0.4):
        out = expect_shape(student_fn(x, amount, 0), x.shape, f"the corrupted batch (amount={amount})")
        if changed_inputs(student_fn) or not np.array_equal(x, original):
            raise Wrong("your function changed its input `x` in place; work on a copy (x.copy()).")
        values = set(np.unique(out).round(6).tolist())
        if not values <= {0.0, 0.5, 1.0}:
            raise Wrong(f"on a grey image (all 0.5) the result must hold only 0 (pepper), 1 (salt) and the untouched "
                        f"0.5, but it holds other values such as {sorted(values - {0.0, 0.5, 1.0})[:3]}: "
                        "replace pixels, do not add noise to them.")
        hit = np.mean(out != 0.5)
        if abs(hit - amount) > 0.03:
            raise Wrong(f"with amount={amount} a fraction {amount} of the pixels should change, but {hit:.3f} did.")
        salt = np.mean(out[out != 0.5] == 1.0)
        if not 0.4 < salt < 0.6:
            raise Wrong(f"about half the corrupted pixels should be salt (1) and half pepper (0); {salt:.0%} are salt.")
    if np.array_equal(student_fn(x, 0.3, 0), student_fn(x, 0.3, 1)):
        raise Wrong("seeds 0 and 1 give the same corruption: draw from np.random.default_rng(seed).")
    return "A fraction `amount` of pixels is replaced by 0 or 1, half each."


@exercise("Exercise 1 (salt-and-pepper corruption), hidden cases")
def hidden_salt_and_pepper(student_fn):
    """Another shape (colour images, 3 channels), amount 0.25, a seed the visible check does not use."""
    x = np.full((30, 16, 12, 3), 0.5, dtype="float32")
    out = expect_shape(student_fn(x, 0.25, 7), x.shape, "the corrupted colour batch")
    hit = np.mean(out != 0.5)
    if abs(hit - 0.25) > 0.03 or not set(np.unique(out).round(6).tolist()) <= {0.0, 0.5, 1.0}:
        raise Wrong(f"on (30, 16, 12, 3) grey images with amount=0.25, {hit:.3f} of the pixels changed, or values "
                    "other than 0, 1 and the untouched 0.5 appear.")
    if not 0.4 < np.mean(out[out != 0.5] == 1.0) < 0.6:
        raise Wrong("on colour images about half the corrupted pixels should be salt (1), half pepper (0).")
