"""Check cells of lesson 09 (inpainting)."""

import numpy as np

from .. import metrics
from . import Wrong, exercise, expect_close, to_numpy


@exercise("Exercise 1 (blank a square)")
def blank_square(student_fn):
    """``student_fn(x, row, col, size)`` -> ``(x_masked, mask)``: the square at (row, col) set to 0."""
    rng = np.random.default_rng(0)
    x = rng.uniform(0.1, 1.0, (2, 9, 7, 1)).astype("float32")
    original = x.copy()
    row, col, size = 1, 3, 4
    want_mask = np.zeros(x.shape, bool)
    want_mask[:, row:row + size, col:col + size] = True
    result = student_fn(x, row, col, size)
    if not isinstance(result, tuple) or len(result) != 2:
        raise Wrong("return a pair (x_masked, mask).")
    x_masked, mask = to_numpy(result[0]), to_numpy(result[1])
    if not np.array_equal(x, original):
        raise Wrong("your function changed `x` itself; work on a copy (x.copy() or np.where) so the "
                    "clean images stay clean.")
    if x_masked.shape != x.shape:
        raise Wrong(f"`x_masked` should have the shape of `x` {x.shape}, got {x_masked.shape}.")
    if mask.dtype != bool:
        raise Wrong(f"`mask` should be boolean (True inside the square), got dtype {mask.dtype}.")
    if mask.shape != x.shape:
        raise Wrong(f"`mask` should have the shape of `x` {x.shape}, got {mask.shape}.")
    swapped = np.zeros(x.shape, bool)
    swapped[:, col:col + size, row:row + size] = True
    if np.array_equal(mask, swapped):
        raise Wrong("the square is at (col, row): `row` indexes the height axis (axis 1), `col` the "
                    "width axis (axis 2).")
    if np.array_equal(mask, ~want_mask):
        raise Wrong("the mask is inverted: it must be True inside the square (the pixels to fill).")
    inside = int(mask[0, ..., 0].sum())
    if inside != size * size:
        raise Wrong(f"the mask marks {inside} pixels per image; a {size}x{size} square has {size * size}. "
                    "Remember x[r:r + size] takes exactly `size` rows.")
    if not np.array_equal(mask, want_mask):
        raise Wrong(f"the square should cover rows {row}..{row + size - 1} and columns {col}..{col + size - 1}.")
    expect_close(x_masked, np.where(want_mask, 0.0, x), "`x_masked`")
    return "the hole is zero, everything else untouched."


@exercise("Exercise 2 (PSNR inside the hole)")
def masked_psnr(student_fn):
    """``student_fn(reference, estimate, mask)`` -> mean over images of the PSNR of the masked pixels."""
    rng = np.random.default_rng(1)
    ref = rng.random((3, 8, 8, 1)).astype("float32")
    noise = np.array([0.02, 0.1, 0.3], "float32")[:, None, None, None]
    est = np.clip(ref + noise * rng.standard_normal(ref.shape), 0, 1).astype("float32")
    mask = np.zeros(ref.shape, bool)
    mask[:, 2:6, 1:5] = True
    est = np.where(mask, est, ref)  # outside the hole the estimate is perfect, as after inpainting
    got = float(np.asarray(to_numpy(student_fn(ref, est, mask))))
    want = metrics.masked_psnr(ref, est, mask)
    if abs(got - want) <= 1e-3:
        return f"{got:.2f} dB, as unsuplab.metrics.masked_psnr computes it."
    whole = metrics.psnr(ref, est)
    if abs(got - whole) <= 1e-3:
        raise Wrong("this is the PSNR over whole images; keep only the pixels where `mask` is True "
                    "(reference[i][mask[i]]), or the perfect pixels outside the hole inflate it.")
    pooled = 10 * np.log10(1.0 / np.mean((ref[mask] - est[mask]) ** 2))
    if abs(got - pooled) <= 1e-3:
        raise Wrong("you pooled the hole pixels of all images into one MSE; compute one PSNR per image "
                    "and return their mean.")
    raise Wrong(f"the mean PSNR in the hole should be {want:.3f} dB, you return {got:.3f}: per image, "
                "10 * log10(1 / mean((reference - estimate)**2 over the masked pixels)).")
