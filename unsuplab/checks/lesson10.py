"""Check cells of lesson 10 (colorization)."""

import numpy as np

from .. import degrade, metrics
from . import Wrong, exercise, expect_close, to_numpy


def _colour_patches():
    rng = np.random.default_rng(0)
    x = rng.random((4, 6, 6, 3)).astype("float32")
    x[1] = x[1, ..., :1]  # a gray image among them
    x[2, ..., 0] = np.minimum(1.0, x[2, ..., 0] + 0.5)  # a reddish one
    return np.clip(x, 0, 1).astype("float32")


@exercise("Exercise 1 (the gray baseline)")
def gray_baseline(student_fn):
    """``student_fn(x_rgb)`` -> the luminance of each image repeated in 3 channels, shape (N, H, W, 3)."""
    x = _colour_patches()
    got = to_numpy(student_fn(x.copy()))
    want = degrade.gray_to_rgb(degrade.to_gray(x))
    if got.shape == want.shape[:-1] + (1,):
        raise Wrong(f"you return one channel {got.shape}; repeat it 3 times so it is an RGB image like "
                    f"the model's output, shape {want.shape} (np.repeat(gray, 3, axis=-1)).")
    if got.shape != want.shape:
        raise Wrong(f"the baseline should have shape {want.shape}, got {got.shape}.")
    if np.allclose(got, np.repeat(x.mean(-1, keepdims=True), 3, -1), atol=1e-5):
        raise Wrong("a plain mean (R + G + B) / 3 is not the luminance: use Y = 0.2125 R + 0.7154 G + "
                    "0.0721 B (degrade.to_gray, or skimage.color.rgb2gray).")
    if not np.allclose(got[..., 0], got[..., 1], atol=1e-6) or not np.allclose(got[..., 0], got[..., 2], atol=1e-6):
        raise Wrong("the three channels must be equal: a gray image has R = G = B.")
    expect_close(got, want, "your gray image", rtol=1e-4, atol=1e-4)
    return "R = G = B = 0.2125 R + 0.7154 G + 0.0721 B of the colour image."


@exercise("Exercise 2 (colourfulness)")
def colourfulness(student_fn):
    """``student_fn(images)`` -> one Hasler-Suesstrunk colourfulness per image, 0-255 scale."""
    x = _colour_patches()
    got = to_numpy(student_fn(x.copy())).astype("float64")
    want = metrics.colourfulness(x)
    if got.ndim == 0 or got.shape != want.shape:
        raise Wrong(f"return one value per image, shape {want.shape}, got shape {got.shape}; "
                    "compute the statistics over each image's pixels (axis=(1, 2)).")
    if np.allclose(got * 255.0, want, rtol=1e-3):
        raise Wrong("your values are 255 times too small: the paper works on the 0-255 scale, "
                    "so multiply the pixels by 255 first.")
    x255 = x.astype("float64") * 255
    rg = x255[..., 0] - x255[..., 1]
    yb = 0.5 * (x255[..., 0] + x255[..., 1]) - x255[..., 2]
    spread = np.sqrt(rg.std(axis=(1, 2)) ** 2 + yb.std(axis=(1, 2)) ** 2)
    if np.allclose(got, spread, rtol=1e-3):
        raise Wrong("you have the spread term only; add 0.3 * sqrt(mean(rg)**2 + mean(yb)**2).")
    expect_close(got, want, "your colourfulness", rtol=1e-3, atol=1e-3)
    return f"values {np.round(got, 1).tolist()}; the gray image (second) scores 0."
