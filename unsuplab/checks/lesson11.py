"""Check cells of lesson 11 (super-resolution)."""

import numpy as np

from .. import degrade, metrics
from . import Wrong, exercise, expect_close, to_numpy


def _depth_to_space(x, r):
    """Reference pixel shuffle (Shi et al., 2016), TensorFlow's depth_to_space order:
    out[n, h*r + i, w*r + j, c] = x[n, h, w, (i*r + j)*C + c]."""
    n, h, w, d = x.shape
    c = d // (r * r)
    return x.reshape(n, h, w, r, r, c).transpose(0, 1, 3, 2, 4, 5).reshape(n, h * r, w * r, c)


@exercise("Exercise 1 (pixel shuffle)")
def pixel_shuffle(student_fn):
    """``student_fn(x, r)`` -> (N, H*r, W*r, C) from (N, H, W, C*r*r), with keras.ops."""
    x = np.arange(2 * 2 * 3 * 8, dtype="float32").reshape(2, 2, 3, 8)  # r = 2, C = 2
    got = to_numpy(student_fn(x, 2))
    want = _depth_to_space(x, 2)
    if got.shape != want.shape:
        raise Wrong(f"from (2, 2, 3, 8) with r = 2 the output should have shape {want.shape}, got {got.shape}.")
    if np.array_equal(got, x.reshape(want.shape)):
        raise Wrong("a plain reshape mixes rows and columns up: reshape to (N, H, W, r, r, C), transpose "
                    "to (N, H, r, W, r, C), then reshape to (N, H*r, W*r, C).")
    channel_major = x.reshape(2, 2, 3, 2, 2, 2).transpose(0, 1, 4, 2, 5, 3).reshape(want.shape)
    if np.array_equal(got, channel_major):
        raise Wrong("this is PyTorch's channel-first order (channel c*r*r + i*r + j); use the "
                    "depth_to_space order, channel (i*r + j)*C + c, i.e. reshape to (N, H, W, r, r, C).")
    expect_close(got, want, "your shuffled array", rtol=0, atol=0)
    return "each group of r*r channels became an r x r block of pixels."


@exercise("Exercise 2 (the bicubic baseline)")
def bicubic_baseline(student_fn):
    """``student_fn(x_high, factor)`` -> bicubic upsampling of the downsampled images, same shape as x_high."""
    rng = np.random.default_rng(2)
    x = rng.random((2, 12, 12, 3)).astype("float32")
    got = to_numpy(student_fn(x.copy(), 3))
    low = degrade.downsample(x, 3)
    want = degrade.bicubic_upsample(low, 3)
    if got.shape == low.shape:
        raise Wrong(f"you return the low-resolution images {got.shape}; enlarge them back to {x.shape}.")
    if got.shape != x.shape:
        raise Wrong(f"the baseline should have the shape of the high-resolution images {x.shape}, got {got.shape}.")
    if np.allclose(got, x, atol=1e-6):
        raise Wrong("you return the original images: shrink them by `factor` first (degrade.downsample), "
                    "then enlarge them again.")
    for order, name in ((0, "nearest-neighbour"), (1, "bilinear")):
        other = degrade.resize_each(low, x.shape[1:], order=order)
        if np.allclose(got, np.clip(other, 0, 1), atol=1e-5):
            raise Wrong(f"this is {name} interpolation (order={order}); bicubic is order=3.")
    expect_close(got, want, "your bicubic images", rtol=1e-3, atol=1e-4)
    return f"PSNR of bicubic on the toy images: {metrics.psnr(x, got):.2f} dB."


@exercise("Exercise 1 (pixel shuffle), hidden cases")
def hidden_pixel_shuffle(student_fn):
    """r = 3 and 3 output channels, a non-square image: (1, 2, 4, 27) -> (1, 6, 12, 3)."""
    x = np.random.default_rng(5).random((1, 2, 4, 27)).astype("float32")
    expect_close(to_numpy(student_fn(x, 3)), _depth_to_space(x, 3), "your shuffled array with r = 3", atol=1e-6)


@exercise("Exercise 2 (the bicubic baseline), hidden cases")
def hidden_bicubic_baseline(student_fn):
    """Factor 2, grey images of another size."""
    x = np.random.default_rng(6).random((3, 10, 14, 1)).astype("float32")
    expect_close(to_numpy(student_fn(x.copy(), 2)), degrade.bicubic_upsample(degrade.downsample(x, 2), 2),
                 "your bicubic images with factor 2", rtol=1e-3, atol=1e-4)
